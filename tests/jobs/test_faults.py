"""What a fault-injection run found (issue 13): each fault, reproduced, and what happens now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from atmo.jobs import tasks
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.faults import killed_while_mailing, lease_passed
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def stub_run_job_flow(aws: AWSStubs, jobflow_id: str) -> None:
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": jobflow_id}, None)


# --- A run_job message delivered again --------------------------------------------------------


@pytest.mark.parametrize("state", ["RUNNING", "TERMINATED"])
def test_a_redelivered_run_job_message_starts_no_second_run_for_its_slot(
    user: Any, aws: AWSStubs, state: str
) -> None:
    """acks_late: the worker was killed after the run started, so the broker delivers the message again.

    The run may still be going or may have ended by then; either way its slot has its run.
    """
    job = SparkJobFactory(created_by=user)
    message = {"args": (job.pk,), "kwargs": {"slot": job.start_date.isoformat()}}
    stub_run_job_flow(aws, "j-FIRST")
    assert tasks.run_job(*message["args"], **message["kwargs"]) == "started"

    job.runs.update(status=state)
    if state == "RUNNING":  # a run under way is brought up to date first
        aws.emr.add_response("describe_cluster", {"Cluster": emr_cluster("j-FIRST", state)}, None)
    assert tasks.run_job(*message["args"], **message["kwargs"]) == "not-due"  # no RunJobFlow stubbed

    assert job.runs.count() == 1
    assert job.runs.get().slot == job.start_date


def test_the_database_refuses_a_second_run_for_a_slot(user: Any) -> None:
    """Whatever the scheduler, worker or broker does, the constraint has the last word."""
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, status="TERMINATED", slot=job.start_date)
    with pytest.raises(IntegrityError), transaction.atomic():
        SparkJobRunFactory(spark_job=job, status="REQUESTED", slot=job.start_date)
    # Manual runs have no slot, and as many of them as the owner likes.
    SparkJobRunFactory(spark_job=job, status="TERMINATED", slot=None)
    SparkJobRunFactory(spark_job=job, status="TERMINATED", slot=None)
    assert job.runs.count() == 3


def test_claiming_a_slot_that_has_its_run_claims_nothing(user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, status="TERMINATED", slot=job.start_date)
    assert job.claim_run(job.start_date) is None
    assert job.claim_run(job.start_date + DAY) is not None
    job.runs.update(status="TERMINATED")
    assert job.claim_run(job.start_date, attempt=2) is not None  # a retry of the slot is another attempt


# --- A message due before the end date, delivered after it --------------------------------------


def test_the_last_slot_before_the_end_date_runs_when_its_message_comes_late(user: Any, aws: AWSStubs) -> None:
    now = timezone.now()
    start = now - 2 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start, end_date=now - 30 * timedelta(minutes=1))
    for slot in (start, start + DAY):
        SparkJobRunFactory(spark_job=job, status="TERMINATED", slot=slot)
    last = start + 2 * DAY  # an hour ago, before the end date half an hour ago

    # The expiry sweep passes by first: the job still owes its last run.
    assert tasks.expire_jobs() == []
    # The message sent when the slot came (an hour ago) is delivered now.
    stub_run_job_flow(aws, "j-LAST")
    assert tasks.run_job(job.pk, slot=last.isoformat()) == "started"
    assert job.runs.get(slot=last).jobflow_id == "j-LAST"

    # With its last run made, the job expires, and its owner is told once.
    assert tasks.expire_jobs() == [[job.identifier, job.pk]]
    assert tasks.expire_jobs() == []
    assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report expired"]
    assert SparkJob.objects.get(pk=job.pk).expired_date is not None


# --- A worker killed while sending a mail ---------------------------------------------------------


def failed_run(user: Any) -> None:
    run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), status="TERMINATED_WITH_ERRORS")
    run.alert("STEP_FAILURE", "Step 2 failed.")


def timed_out_run(user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, status="TERMINATING", timed_out_at=timezone.now())


def lapsed_job(user: Any) -> None:
    past = timezone.now() - HOUR
    SparkJobFactory(created_by=user, start_date=past - 3 * DAY, end_date=past)


MAILS = {
    "run failed": (failed_run, tasks.send_run_alert_mails, SparkJobRunAlert.objects, "mail_claimed_at"),
    "timed out": (timed_out_run, tasks.send_run_alert_mails, SparkJobRun.objects, "timeout_mail_claimed_at"),
    "expired": (lapsed_job, tasks.expire_jobs, SparkJob.objects, "expired_mail_claimed_at"),
}


@pytest.mark.parametrize("kind", MAILS)
def test_a_mail_whose_worker_died_while_sending_is_sent_once_its_lease_is_over(user: Any, kind: str) -> None:
    make, sweep, rows, lease = MAILS[kind]
    make(user)
    with killed_while_mailing() as send:
        sweep()
    assert send.called and mail.outbox == []

    sweep()  # the claim is fresh: its worker might still be sending
    assert mail.outbox == []

    lease_passed(rows.all(), lease)
    sweep()
    sweep()
    assert len(mail.outbox) == 1
