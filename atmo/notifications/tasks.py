"""Celery tasks of the notifications app: send a delivery, and sweep up the ones whose task was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.contrib.django.task import DjangoTask
from django.db.models import Count, Subquery
from django.utils import timezone

from atmo.celery import celery
from atmo.notifications.models import KEPT_DELIVERIES, MAX_ATTEMPTS, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

#: The longest wait before a retry; with full jitter, retry n waits 0 to min(30 * 2**n, this) seconds.
RETRY_BACKOFF_MAX = 600
#: A pending delivery queued longer ago than this lost its task (a flushed broker, a lost worker).
REQUEUE_AFTER = timedelta(seconds=RETRY_BACKOFF_MAX + 300)
#: Deliveries re-queued, and endpoints pruned, per sweep.
SWEEP_BATCH = 200


class RetryDelivery(Exception):
    """The receiver could not be reached or failed; Celery tries again later."""


@celery.task(
    bind=True,
    base=DjangoTask,
    autoretry_for=(RetryDelivery,),
    retry_backoff=30,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    # The row counts attempts across re-queued tasks too, and gives up at MAX_ATTEMPTS.
    max_retries=MAX_ATTEMPTS,
)
def deliver_webhook(self: DjangoTask, delivery_id: str) -> str:
    """Send one delivery, once at a time; returns its outcome (``delivered``, ``retrying``, ``failed``)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or not delivery.lease():
        return "skipped"  # deleted, already done, or another worker is sending it
    failure = delivery.attempt()
    extra = {
        "delivery_id": delivery_id,
        "endpoint_id": delivery.endpoint_id,
        "status": delivery.response_status,
    }
    if failure is None:
        logger.info("webhook delivered", extra=extra)
    else:
        logger.warning("webhook not delivered", extra={**extra, "error": delivery.error})
    if delivery.outcome == "retrying":
        raise RetryDelivery(delivery.error)
    return delivery.outcome


@celery.task
def sweep_webhook_deliveries() -> dict[str, int]:
    """Queue again the pending deliveries whose task was lost; drop finished ones past the newest 50."""
    now = timezone.now()
    overdue = list(
        WebhookDelivery.objects.overdue(REQUEUE_AFTER, now).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in overdue:
        WebhookDelivery.objects.filter(pk=pk).update(queued_at=now)
        deliver_webhook.delay(str(pk))
    pruned = 0
    crowded = WebhookEndpoint.objects.annotate(count=Count("deliveries")).filter(count__gt=KEPT_DELIVERIES)
    for endpoint in crowded[:SWEEP_BATCH]:
        newest = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")[
            :KEPT_DELIVERIES
        ]
        old = WebhookDelivery.objects.filter(endpoint=endpoint).exclude(pk__in=Subquery(newest.values("pk")))
        pruned += old.exclude(delivered_at__isnull=True, gave_up_at__isnull=True).delete()[0]
    if overdue or pruned:
        logger.info("webhook deliveries swept", extra={"requeued": len(overdue), "pruned": pruned})
    return {"requeued": len(overdue), "pruned": pruned}
