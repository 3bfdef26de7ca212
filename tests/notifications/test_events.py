"""Events make outbox rows in their own transaction, for the endpoints listening, once per occurrence;
the mails' paths emit them; a sweep sends what a flushed Redis lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from django_redis import get_redis_connection

from atmo import notifications
from atmo.clusters.tasks import send_expiration_mails
from atmo.jobs.tasks import expire_and_notify, expire_jobs, stop_timed_out_run
from atmo.notifications import Event
from atmo.notifications.models import KEPT_DELIVERIES, WebhookDelivery
from atmo.notifications.tasks import REQUEUE_AFTER, deliver_webhook, sweep_webhook_deliveries
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_an_event_is_kept_only_if_its_transaction_commits(user: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    cluster = ClusterFactory(created_by=user)
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.emit(Event.CLUSTER_EXPIRING, cluster)
        raise RuntimeError("the state change failed")
    assert not WebhookDelivery.objects.exists()


def test_its_task_is_queued_once_the_transaction_commits(user: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    with (
        mock.patch.object(deliver_webhook, "delay", autospec=True) as delay,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        notifications.emit(Event.CLUSTER_EXPIRING, ClusterFactory(created_by=user))
        assert not delay.called
    delay.assert_called_once_with(str(WebhookDelivery.objects.get().pk))


def test_only_the_owners_endpoints_that_listen_hear_it(user: Any, user2: Any) -> None:
    listening = WebhookEndpointFactory(created_by=user)
    WebhookEndpointFactory(created_by=user, events=[Event.RUN_FAILED])
    WebhookEndpointFactory(created_by=user2)
    notifications.emit(Event.CLUSTER_EXPIRING, ClusterFactory(created_by=user))
    assert [d.endpoint for d in WebhookDelivery.objects.all()] == [listening]


def test_a_jobs_endpoint_hears_only_that_job(user: Any) -> None:
    job, other_job = SparkJobFactory(created_by=user), SparkJobFactory(created_by=user, identifier="other")
    everything = WebhookEndpointFactory(created_by=user)
    this_job = WebhookEndpointFactory(created_by=user, spark_job=job, events=[Event.JOB_EXPIRED])
    notifications.emit(Event.JOB_EXPIRED, job)
    notifications.emit(Event.JOB_EXPIRED, other_job)
    notifications.emit(Event.CLUSTER_EXPIRING, ClusterFactory(created_by=user))
    heard = sorted(
        (d.endpoint_id, d.event, d.payload.get("job", {}).get("id")) for d in WebhookDelivery.objects.all()
    )
    assert heard == sorted(
        [
            (everything.pk, Event.JOB_EXPIRED, job.pk),
            (everything.pk, Event.JOB_EXPIRED, other_job.pk),
            (everything.pk, Event.CLUSTER_EXPIRING, None),
            (this_job.pk, Event.JOB_EXPIRED, job.pk),
        ]
    )


def test_the_same_occurrence_emitted_again_is_not_delivered_again(user: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    cluster = ClusterFactory(created_by=user)
    assert notifications.emit(Event.CLUSTER_EXPIRING, cluster) == 1
    assert notifications.emit(Event.CLUSTER_EXPIRING, cluster) == 0
    cluster.expires_at += timedelta(hours=2)  # extended: its new expiry is a new occurrence
    assert notifications.emit(Event.CLUSTER_EXPIRING, cluster) == 1


def test_a_failed_run_is_an_event_next_to_its_alert(user: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user))
    run.mark_failed("The notebook raised an error.")
    run.mark_gone()  # another reason: another alert, another event
    delivery = WebhookDelivery.objects.filter(event=Event.RUN_FAILED).order_by("created_at").first()
    assert WebhookDelivery.objects.filter(event=Event.RUN_FAILED).count() == 2
    assert delivery.payload["run"]["id"] == run.pk
    assert delivery.payload["reason"]["message"] == "The notebook raised an error."


def test_an_expired_job_is_one_event_even_when_its_mail_is_retried(user: Any, settings: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    job = SparkJobFactory(created_by=user, end_date=timezone.now() - timedelta(hours=1))
    settings.EMAIL_BACKEND = "tests.jobs.helpers.BrokenEmailBackend"  # the mail server is down
    assert expire_and_notify(job)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    expire_jobs()  # sends the mail still owed
    assert len(mail.outbox) == 1
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == [Event.JOB_EXPIRED]


def test_an_expiring_cluster_is_an_event_with_its_mail(user: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    cluster = ClusterFactory(created_by=user, expires_at=timezone.now() + timedelta(minutes=30))
    assert send_expiration_mails() == [cluster.pk]
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == Event.CLUSTER_EXPIRING and delivery.payload["cluster"]["id"] == cluster.pk


def test_a_timed_out_run_is_an_event_with_its_claim(user: Any, aws: Any) -> None:
    WebhookEndpointFactory(created_by=user)
    job = SparkJobFactory(created_by=user, job_timeout=1)
    run = SparkJobRunFactory(spark_job=job, scheduled_at=timezone.now() - timedelta(hours=2))
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [run.jobflow_id]})
    assert stop_timed_out_run(job)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == Event.RUN_TIMED_OUT and delivery.payload["run"]["id"] == run.pk


def test_a_flushed_redis_loses_no_delivery(user: Any, receiver: Any, live_setting: Any) -> None:
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    with TestCase.captureOnCommitCallbacks(execute=True):
        notifications.emit(Event.CLUSTER_EXPIRING, ClusterFactory(created_by=user))
    get_redis_connection("default").flushdb()  # the queued task is gone with the broker's data
    live_setting(WEBHOOK_ALLOWED_HOSTS="127.0.0.1")  # live settings live in Redis too: set it after the flush
    delivery = WebhookDelivery.objects.get()
    assert sweep_webhook_deliveries() == {"requeued": 0, "pruned": 0}  # its task may still be on its way
    WebhookDelivery.objects.update(queued_at=timezone.now() - REQUEUE_AFTER - timedelta(seconds=1))
    with mock.patch.object(deliver_webhook, "delay", autospec=True) as delay:
        assert sweep_webhook_deliveries() == {"requeued": 1, "pruned": 0}
    delay.assert_called_once_with(str(delivery.pk))
    assert deliver_webhook(*delay.call_args.args) == "delivered"
    assert len(receiver.requests) == 1


def test_the_sweep_keeps_the_newest_fifty_finished_and_every_pending_one(user: Any) -> None:
    endpoint = WebhookEndpointFactory(created_by=user)
    old = timezone.now() - timedelta(days=1)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event=Event.CLUSTER_EXPIRING,
            event_key=f"k{number}",
            summary="s",
            payload={},
            created_at=old + timedelta(seconds=number),
            queued_at=timezone.now(),
            delivered_at=None if number == 0 else old,
        )
        for number in range(KEPT_DELIVERIES + 10)
    )
    assert sweep_webhook_deliveries()["pruned"] == 9
    kept = set(WebhookDelivery.objects.values_list("event_key", flat=True))
    assert "k0" in kept and len(kept) == KEPT_DELIVERIES + 1
