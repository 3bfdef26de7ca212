"""Webhook notifications: run failed, run timed out, job expired, cluster expiring.

Where an event happens, one call records it, in the transaction of the state
change it is about::

    notifications.emit(notifications.Event.RUN_FAILED, alert)

That makes an outbox row (:class:`~atmo.notifications.models.WebhookDelivery`)
per endpoint listening, delivered by a Celery task once the transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class Event(models.TextChoices):
    """What an endpoint can be told about (see :mod:`atmo.notifications.events` for each one's data)."""

    RUN_FAILED = "run.failed", "A run failed"
    RUN_TIMED_OUT = "run.timed_out", "A run was stopped for its timeout"
    JOB_EXPIRED = "job.expired", "A job passed its end date"
    CLUSTER_EXPIRING = "cluster.expiring", "A cluster expires within the hour"


def emit(event: Event, obj: Any) -> int:
    """Record ``event`` about ``obj`` for every endpoint listening; returns how many deliveries it made.

    Call it inside the transaction of the state change (the claim of the mail
    about the same event): the deliveries exist if and only if the change was
    committed. Emitting the same occurrence again (a mail retried after its
    claim was given back) makes no second delivery.
    """
    from atmo.notifications.events import record  # the models need the app registry

    return record(event, obj)
