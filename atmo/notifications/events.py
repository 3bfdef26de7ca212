"""What each event says, whom it concerns, and how one occurrence is named.

The extension point for a new event (a budget threshold, once budgets exist):
a member of :class:`~atmo.notifications.Event`, an :class:`EventKind` in
:data:`EVENTS`, and one :func:`atmo.notifications.emit` call where its state
change is committed. Endpoints list it among their choices from then on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from atmo.notifications import Event
from atmo.notifications.models import WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class EventKind:
    """How to read one kind of event off the object it is about."""

    #: The user whose endpoints hear it.
    owner: Callable[[Any], Any]
    #: The job it is about, for the endpoints of one job (None: only the user's own endpoints).
    job: Callable[[Any], Any]
    #: A name of this occurrence: the same one emitted again is not delivered again.
    key: Callable[[Any], str]
    #: The event's data, JSON-ready.
    data: Callable[[Any], dict[str, Any]]
    #: One sentence for chat messages.
    summary: Callable[[Any], str]


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def job_data(job: Any) -> dict[str, Any]:
    return {
        "id": job.pk,
        "identifier": job.identifier,
        "web_url": absolute(job.get_absolute_url()),
        "api_url": absolute(reverse("api-job-detail", kwargs={"id": job.pk})),
    }


def run_data(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk,
        "state": run.status,
        "jobflow_id": run.jobflow_id,
        "scheduled_at": run.scheduled_at.isoformat() if run.scheduled_at else None,
        "api_url": absolute(reverse("api-run-detail", kwargs={"id": run.pk})),
    }


def cluster_data(cluster: Any) -> dict[str, Any]:
    return {
        "id": cluster.pk,
        "identifier": cluster.identifier,
        "expires_at": cluster.expires_at.isoformat(),
        "web_url": absolute(cluster.get_absolute_url()),
        "api_url": absolute(reverse("api-cluster-detail", kwargs={"id": cluster.pk})),
    }


EVENTS: dict[str, EventKind] = {
    Event.RUN_FAILED: EventKind(
        owner=lambda alert: alert.run.spark_job.created_by,
        job=lambda alert: alert.run.spark_job,
        key=lambda alert: f"{Event.RUN_FAILED}:{alert.pk}",
        data=lambda alert: {
            "job": job_data(alert.run.spark_job),
            "run": run_data(alert.run),
            "reason": {"code": alert.reason_code, "message": alert.reason_message},
        },
        summary=lambda alert: (
            f"Run {alert.run.pk} of job {alert.run.spark_job.identifier} failed: {alert.reason_message}"
        ),
    ),
    Event.RUN_TIMED_OUT: EventKind(
        owner=lambda run: run.spark_job.created_by,
        job=lambda run: run.spark_job,
        key=lambda run: f"{Event.RUN_TIMED_OUT}:{run.pk}",
        data=lambda run: {
            "job": {**job_data(run.spark_job), "timeout_hours": run.spark_job.job_timeout},
            "run": run_data(run),
        },
        summary=lambda run: (
            f"Run {run.pk} of job {run.spark_job.identifier} was stopped after its "
            f"{run.spark_job.job_timeout}-hour timeout"
        ),
    ),
    Event.JOB_EXPIRED: EventKind(
        owner=lambda job: job.created_by,
        job=lambda job: job,
        # The end date, not the expiry time: an expiry taken back and redone is the same one.
        key=lambda job: f"{Event.JOB_EXPIRED}:{job.pk}:{job.end_date.isoformat() if job.end_date else ''}",
        data=lambda job: {
            "job": {**job_data(job), "end_date": job.end_date.isoformat() if job.end_date else None}
        },
        summary=lambda job: f"Job {job.identifier} passed its end date and will not run again",
    ),
    Event.CLUSTER_EXPIRING: EventKind(
        owner=lambda cluster: cluster.created_by,
        job=lambda cluster: None,
        key=lambda cluster: f"{Event.CLUSTER_EXPIRING}:{cluster.pk}:{cluster.expires_at.isoformat()}",
        data=lambda cluster: {"cluster": cluster_data(cluster)},
        summary=lambda cluster: (
            f"Cluster {cluster.identifier} expires at {cluster.expires_at:%Y-%m-%d %H:%M} UTC; "
            "extend it to keep it"
        ),
    ),
}


def listening(owner: Any, event: str, job: Any) -> list[WebhookEndpoint]:
    """The owner's endpoints that take ``event`` (the job's own ones too, when it is about a job).

    Filtered here rather than in SQL: a user has a handful, and JSON containment
    is not portable to SQLite (the local default).
    """
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(created_by=owner)
        if event in endpoint.events
        and (endpoint.spark_job_id is None or (job is not None and endpoint.spark_job_id == job.pk))
    ]


def record(event: str, obj: Any) -> int:
    """The body of :func:`atmo.notifications.emit`."""
    from atmo.notifications.tasks import deliver_webhook

    kind = EVENTS[event]
    endpoints = listening(kind.owner(obj), event, kind.job(obj))
    if not endpoints:
        return 0
    key = kind.key(obj)
    fields = {"event": event, "summary": kind.summary(obj)[:500], "payload": kind.data(obj)}
    made = 0
    with transaction.atomic():
        for endpoint in endpoints:
            delivery, created = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint, event_key=key, defaults=fields
            )
            if created:
                made += 1
                deliver_webhook.delay_on_commit(str(delivery.pk))
    return made
