from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from botocore.stub import ANY
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs import tasks
from atmo.jobs.exceptions import SparkJobNotEnabled, SparkJobNotFound
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.helpers import make_job, make_run

pytestmark = pytest.mark.django_db


def stub_run_job_flow(aws: AWSStubs, jobflow_id: str = "j-NEW") -> None:
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": jobflow_id}, None)


def stub_describe(aws: AWSStubs, state: str, **kwargs: Any) -> None:
    aws.emr.add_response(
        "describe_cluster", {"Cluster": emr_cluster("j-RUN", state, **kwargs)}, {"ClusterId": "j-RUN"}
    )


class TestRunJob:
    def test_a_due_job_is_started(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user)
        stub_run_job_flow(aws)
        assert tasks.run_job(job.pk) == "started"
        assert job.runs.get().jobflow_id == "j-NEW"

    def test_a_missing_job_fails_without_retry_and_drops_its_entry(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user)
        schedule = job.schedule
        SparkJob.objects.filter(pk=job.pk).delete()  # behind the model's back, as a crash would
        with pytest.raises(SparkJobNotFound):
            tasks.run_job(job.pk)
        assert schedule.get() is None
        assert SparkJobNotFound in tasks.run_job.throws

    def test_a_disabled_job_is_not_run(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user, is_enabled=False)
        with pytest.raises(SparkJobNotEnabled):
            tasks.run_job(job.pk)
        assert not job.runs.exists()

    def test_a_job_not_yet_due_is_left_alone_not_expired(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user, start_date=timezone.now() + timedelta(days=2))
        assert tasks.run_job(job.pk) == "not-due"
        job.refresh_from_db()
        assert job.expired_date is None
        assert job.schedule.get() is not None
        assert not job.runs.exists()

    def test_a_job_past_its_end_date_is_expired_and_its_owner_told_once(
        self, user: Any, aws: AWSStubs
    ) -> None:
        past = timezone.now() - timedelta(hours=1)
        job = make_job(user, start_date=past - timedelta(days=3), end_date=past)
        assert tasks.run_job(job.pk) == "expired"
        assert tasks.run_job(job.pk) == "expired"
        job.refresh_from_db()
        assert job.expired_date is not None
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject == "[ATMO] Spark job daily-report expired"

    def test_a_run_still_going_is_retried_in_ten_minutes(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user)
        make_run(job, status="RUNNING")
        stub_describe(aws, "RUNNING")
        with mock.patch.object(tasks.run_job, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
            tasks.run_job(job.pk)
        assert retry.call_args.kwargs == {"countdown": 600}

    def test_a_run_past_its_timeout_is_stopped_and_its_owner_told_once(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = make_job(user, job_timeout=1)
        make_run(job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=2))
        stub_describe(aws, "RUNNING")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        assert tasks.run_job(job.pk) == "timed-out"
        assert job.runs.get().timed_out_at is not None
        assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report timed out"]
        assert "timeout of 1 hour" in mail.outbox[0].body

    def test_a_finished_run_is_synced_before_deciding(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user)
        make_run(job, status="RUNNING")
        stub_describe(aws, "TERMINATED", ended=timezone.now())
        stub_run_job_flow(aws)
        assert tasks.run_job(job.pk) == "started"
        assert job.runs.count() == 2

    def test_throttling_is_retried_with_jittered_backoff(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
        with mock.patch.object(tasks.run_job, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
            tasks.run_job(job.pk)
        assert 0 <= retry.call_args.kwargs["countdown"] <= 1
        assert not job.runs.exists()

    def test_emr_refusing_a_run_marks_it_failed_and_alerts_the_owner(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "AccessDeniedException", "Not authorized to run.", 403)
        assert tasks.run_job(job.pk) == "failed"
        assert tasks.send_run_alert_mails() == ["daily-report"]
        assert "Not authorized to run." in mail.outbox[0].body

    @pytest.mark.django_db(transaction=True)
    def test_two_run_job_calls_at_once_provision_one_cluster(self, user: Any, aws: AWSStubs) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("needs a database with row locks and concurrent connections (PostgreSQL)")
        job = make_job(user)
        stub_run_job_flow(aws)  # one RunJobFlow answer: a second call would fail the stubber
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def worker() -> None:
            barrier.wait()
            try:
                outcomes.append(tasks.run_job(job.pk))
            except Retry:
                outcomes.append("retry")
            finally:
                connection.close()

        # Make the race certain: both callers meet before every look at the latest run.
        # Without the row lock they would both find "no run under way" and both start
        # one; with it, the second waits at the lock, the first gives up waiting for
        # it after a second, records its run, and the second then sees that run.
        meeting = threading.Barrier(2, timeout=1)
        real_get_latest_run = SparkJob.get_latest_run

        def get_latest_run_together(job: SparkJob) -> SparkJobRun | None:
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait()
            return real_get_latest_run(job)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        with mock.patch.object(SparkJob, "get_latest_run", get_latest_run_together):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert sorted(outcomes) in (["busy", "started"], ["retry", "started"])
        assert job.runs.count() == 1


class TestUpdateJobsStatuses:
    def test_runs_are_synced_from_one_listing_per_page(self, user: Any, aws: AWSStubs) -> None:
        jobs = [make_job(user, identifier=f"job-{n}") for n in range(60)]
        for n, job in enumerate(jobs):
            make_run(job, jobflow_id=f"j-{n}", status="RUNNING")
        listing = [emr_cluster(f"j-{n}", "TERMINATED", ended=timezone.now()) for n in range(60)]
        aws.emr.add_response(
            "list_clusters", {"Clusters": listing[:50], "Marker": "m"}, {"CreatedAfter": ANY}
        )
        aws.emr.add_response(
            "list_clusters", {"Clusters": listing[50:]}, {"CreatedAfter": ANY, "Marker": "m"}
        )
        assert len(tasks.update_jobs_statuses()) == 60
        assert SparkJobRun.objects.filter(status="TERMINATED").count() == 60

    def test_no_runs_under_way_means_no_aws_call(self, user: Any, aws: AWSStubs) -> None:
        make_run(make_job(user), status="TERMINATED")
        assert tasks.update_jobs_statuses() == []

    def test_a_run_missing_from_emr_for_long_is_failed(self, user: Any, aws: AWSStubs) -> None:
        run = make_run(make_job(user), status="RUNNING")
        SparkJobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
        aws.emr.add_response("list_clusters", {"Clusters": []}, {"CreatedAfter": ANY})
        tasks.update_jobs_statuses()
        run.refresh_from_db()
        assert run.is_failed

    def test_timed_out_runs_are_stopped_between_scheduled_runs(self, user: Any, aws: AWSStubs) -> None:
        job = make_job(user, job_timeout=1)
        make_run(job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=3))
        aws.emr.add_response(
            "list_clusters", {"Clusters": [emr_cluster("j-RUN", "RUNNING")]}, {"CreatedAfter": ANY}
        )
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        tasks.update_jobs_statuses()
        assert len(mail.outbox) == 1


class TestMails:
    def failed_run(self, user: Any, code: str = "STEP_FAILURE") -> SparkJobRun:
        run = make_run(make_job(user), status="TERMINATED_WITH_ERRORS")
        run.alert(code, "Step 2 failed.")
        return run

    def test_each_failed_run_alert_is_mailed_once(self, user: Any) -> None:
        run = self.failed_run(user)
        assert tasks.send_run_alert_mails() == ["daily-report"]
        assert tasks.send_run_alert_mails() == []
        message = mail.outbox[0]
        assert message.subject == "[ATMO] Running Spark job daily-report failed"
        assert "Step 2 failed. (error code STEP_FAILURE)" in message.body
        assert run.alerts.get().mail_sent_date is not None

    def test_alerts_for_user_requests_are_not_mailed(self, user: Any) -> None:
        self.failed_run(user, code=Cluster.STATE_CHANGE_REASON_USER_REQUEST)
        assert tasks.send_run_alert_mails() == []

    def test_expire_jobs_expires_lapsed_jobs_and_mails_once(self, user: Any) -> None:
        past = timezone.now() - timedelta(hours=1)
        job = make_job(user, start_date=past - timedelta(days=1), end_date=past)
        assert tasks.expire_jobs() == [["daily-report", job.pk]]
        assert tasks.expire_jobs() == []
        assert len(mail.outbox) == 1
