"""Webhook endpoints (a user's, or one job's) and their deliveries: the outbox of events."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from atmo.notifications import Event
from atmo.notifications.delivery import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Answer,
    DeliveryError,
    post,
    sign,
)

#: Every secret starts with it, so that secret scanners (and people) recognise one.
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
#: Deliveries kept (and shown) per endpoint; older delivered ones are pruned by the sweep.
KEPT_DELIVERIES = 50
#: Attempts of one delivery before it is given up, whichever workers made them.
MAX_ATTEMPTS = 8
#: How long one worker holds a delivery it is sending: longer than the request's timeouts.
LEASE = timedelta(seconds=60)


class WebhookEndpoint(models.Model):
    """A URL that is POSTed the events it listens to, signed with its own secret.

    Without a job it hears about all its user's runs, jobs and clusters; with one,
    about that job's runs and expiry only.
    """

    class Format(models.TextChoices):
        JSON = "json", "JSON (signed, for your own service)"
        SLACK = "slack", "Slack-compatible (a message with a text)"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    spark_job = models.ForeignKey(
        "jobs.SparkJob",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name="job",
        help_text="Only this job's runs and expiry; leave empty for all your jobs and clusters.",
    )
    name = models.CharField(max_length=100, help_text="What receives it, e.g. “team channel”.")
    target_url = models.URLField(
        "URL", max_length=500, help_text="Where ATMO POSTs the events (http or https, a public address)."
    )
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON)
    events = models.JSONField(default=list, help_text="The events it is sent (a list of event names).")
    secret = models.CharField(max_length=100, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return f"{self.name} ({self.target_url})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.secret:
            self.secret = new_secret()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("webhooks-detail", kwargs={"id": self.pk})

    def event_labels(self) -> list[str]:
        return [Event(name).label for name in self.events if name in Event.values]

    def recent_deliveries(self) -> models.QuerySet[WebhookDelivery]:
        """The newest :data:`KEPT_DELIVERIES` deliveries, newest first."""
        return self.deliveries.order_by("-created_at", "-pk")[:KEPT_DELIVERIES]


def new_secret() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    """Named filters of deliveries."""

    def pending(self) -> WebhookDeliveryQuerySet:
        """Not delivered and not given up."""
        return self.filter(delivered_at__isnull=True, gave_up_at__isnull=True)

    def overdue(self, quiet_for: timedelta, now: datetime | None = None) -> WebhookDeliveryQuerySet:
        """Pending, queued longer than ``quiet_for`` ago and held by no worker: their task was lost.

        ``quiet_for`` must exceed the longest wait before a retry, or a delivery
        waiting for its retry would be queued twice.
        """
        now = now or timezone.now()
        return (
            self.pending()
            .filter(queued_at__lt=now - quiet_for)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        )


class WebhookDelivery(models.Model):
    """One event for one endpoint: an outbox row, made in the transaction of the event itself.

    A Celery task delivers it; the row keeps the outcome of the latest attempt.
    ``event_key`` names the occurrence (e.g. the cluster and the expiry time it
    warns about): the same occurrence is never delivered twice to an endpoint.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    event_key = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, help_text="The event in one sentence, for chat messages.")
    payload = models.JSONField(help_text="The event's data, as of when it happened.")
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    queued_at = models.DateTimeField(
        default=timezone.now, help_text="When a task to send it was last queued."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then; no other may."
    )
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The HTTP status of the latest answer."
    )
    error = models.CharField(max_length=300, blank=True, help_text="Why the latest attempt failed.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_key"], name="one_delivery_per_occurrence")
        ]
        indexes = [
            models.Index(
                fields=["queued_at"],
                condition=Q(delivered_at__isnull=True, gave_up_at__isnull=True),
                name="webhook_delivery_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.outcome})"

    @property
    def outcome(self) -> str:
        """``delivered``, ``failed`` (given up), ``retrying`` or ``pending``."""
        if self.delivered_at:
            return "delivered"
        if self.gave_up_at:
            return "failed"
        return "retrying" if self.attempts else "pending"

    def body(self) -> bytes:
        """What is POSTed, in the endpoint's format."""
        if self.endpoint.format == WebhookEndpoint.Format.SLACK:
            message: dict[str, Any] = slack_message(self.summary, self.payload)
        else:
            message = {
                "id": str(self.pk),
                "event": self.event,
                "created_at": self.created_at.isoformat(),
                "summary": self.summary,
                "data": self.payload,
            }
        return json.dumps(message, separators=(",", ":")).encode()

    def lease(self) -> bool:
        """Hold the delivery for this worker while it sends; False when delivered, given up or held."""
        now = timezone.now()
        free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
        leased = WebhookDelivery.objects.pending().filter(free, pk=self.pk).update(leased_until=now + LEASE)
        return bool(leased)

    def attempt(self) -> DeliveryError | None:
        """Send it once (holding the lease) and record how it went; returns the failure, None if delivered.

        A failure that trying again cannot fix (a refused address, a redirect, a
        4xx answer other than 408 and 429), or the last of :data:`MAX_ATTEMPTS`,
        gives the delivery up.
        """
        body = self.body()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: self.event,
            DELIVERY_HEADER: str(self.pk),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.endpoint.secret, timestamp, body),
        }
        answer: Answer | None = None
        try:
            answer = post(self.endpoint.target_url, body, headers)
            failure = failure_of(answer)
        except DeliveryError as exc:
            failure = exc
        now = timezone.now()
        self.attempts += 1
        self.last_attempt_at, self.leased_until = now, None
        self.response_status = answer.status if answer else None
        self.error = str(failure)[:300] if failure else ""
        if failure is None:
            self.delivered_at = now
        elif not failure.transient or self.attempts >= MAX_ATTEMPTS:
            self.gave_up_at = now
        else:
            self.queued_at = now  # its retry is queued next
        self.save()
        return failure


def failure_of(answer: Answer) -> DeliveryError | None:
    """What a receiver's answer means: None for 2xx; 408, 429 and 5xx may pass later."""
    if 200 <= answer.status < 300:
        return None
    if 300 <= answer.status < 400:
        where = answer.location[:200] or "nowhere"
        return DeliveryError(
            f"answered {answer.status}: redirects are not followed (to {where})", transient=False
        )
    transient = answer.status in (408, 429) or answer.status >= 500
    return DeliveryError(f"answered {answer.status}", transient=transient)


def slack_text(text: str) -> str:
    """``text`` escaped as Slack's message format wants (&, < and > are markup there)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(summary: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: the summary, with a link to the page it is about."""
    subject = payload.get("cluster") or payload.get("job") or {}
    link = f" <{subject['web_url']}|Open in ATMO>" if subject.get("web_url") else ""
    return {"text": f"{slack_text(summary)}{link}"}
