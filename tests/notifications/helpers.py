"""Deliveries made the way events make them."""

from __future__ import annotations

from typing import Any

from django.test import TestCase

from atmo import notifications
from atmo.notifications.models import WebhookDelivery
from tests.clusters.factories import ClusterFactory


def cluster_expiring(owner: Any) -> WebhookDelivery:
    """The delivery of a ``cluster.expiring`` event of a new cluster of ``owner`` (one endpoint listening)."""
    cluster = ClusterFactory(created_by=owner)
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert notifications.emit(notifications.Event.CLUSTER_EXPIRING, cluster) == 1
    return WebhookDelivery.objects.select_related("endpoint").get(endpoint__created_by=owner)
