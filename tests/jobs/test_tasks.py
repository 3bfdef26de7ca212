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
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.provisioners import AWSUnreachable
from tests.aws import AWSStubs, unreachable
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import stub_find_run_cluster

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
        job = SparkJobFactory(created_by=user)
        stub_run_job_flow(aws)
        assert tasks.run_job(job.pk) == "started"
        assert job.runs.get().jobflow_id == "j-NEW"

    def test_a_missing_job_fails_without_retry(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJob.objects.filter(pk=job.pk).delete()  # behind the model's back, as a crash would
        with pytest.raises(SparkJobNotFound):
            tasks.run_job(job.pk)
        assert SparkJobNotFound in tasks.run_job.throws

    def test_a_disabled_job_is_not_run(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user, is_enabled=False)
        with pytest.raises(SparkJobNotEnabled):
            tasks.run_job(job.pk)
        assert not job.runs.exists()

    def test_a_job_not_yet_due_is_left_alone_not_expired(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user, start_date=timezone.now() + timedelta(days=2))
        assert tasks.run_job(job.pk) == "not-due"
        job.refresh_from_db()
        assert job.expired_date is None
        assert job.schedule.next_slot() == job.start_date
        assert not job.runs.exists()

    def test_a_job_past_its_end_date_is_expired_and_its_owner_told_once(
        self, user: Any, aws: AWSStubs
    ) -> None:
        past = timezone.now() - timedelta(hours=1)
        job = SparkJobFactory(created_by=user, start_date=past - timedelta(days=3), end_date=past)
        assert tasks.run_job(job.pk) == "expired"
        assert tasks.run_job(job.pk) == "expired"
        job.refresh_from_db()
        assert job.expired_date is not None
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject == "[ATMO] Spark job daily-report expired"

    def test_a_run_still_going_leaves_the_slot_owed_for_the_dispatcher(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        stub_describe(aws, "RUNNING")
        assert tasks.run_job(job.pk, slot=job.start_date.isoformat()) == "busy"
        assert job.runs.count() == 1
        assert job.schedule.next_slot() == job.start_date  # sent again until it has its run

    def test_a_run_past_its_timeout_is_stopped_and_its_owner_told_once(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user, job_timeout=1)
        SparkJobRunFactory(spark_job=job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=2))
        stub_describe(aws, "RUNNING")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        assert tasks.run_job(job.pk) == "timed-out"
        assert job.runs.get().timed_out_at is not None
        assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report timed out"]
        assert "timeout of 1 hour" in mail.outbox[0].body

    def test_a_finished_run_is_synced_before_deciding(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        stub_describe(aws, "TERMINATED", ended=timezone.now())
        stub_run_job_flow(aws)
        assert tasks.run_job(job.pk) == "started"
        assert job.runs.count() == 2

    def test_throttling_is_retried_with_jittered_backoff(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
        with mock.patch.object(tasks.run_job, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
            tasks.run_job(job.pk)
        assert 0 <= retry.call_args.kwargs["countdown"] <= 1
        assert not job.runs.exists()

    def test_emr_refusing_a_run_marks_it_failed_and_alerts_the_owner(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "AccessDeniedException", "Not authorized to run.", 403)
        assert tasks.run_job(job.pk) == "failed"
        assert tasks.send_run_alert_mails() == ["daily-report"]
        assert "AWS refused (Not authorized to run)." in mail.outbox[0].body

    @pytest.mark.django_db(transaction=True)
    def test_two_run_job_calls_at_once_provision_one_cluster(self, user: Any, aws: AWSStubs) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("needs a database with row locks and concurrent connections (PostgreSQL)")
        job = SparkJobFactory(created_by=user)
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
        real_latest_run = SparkJob.latest_run

        def latest_run_together(job: SparkJob) -> SparkJobRun | None:
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait()
            return real_latest_run(job)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        with mock.patch.object(SparkJob, "latest_run", latest_run_together):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        # The second finds the run under way, or (had it looked after the first committed) its slot taken.
        assert sorted(outcomes) in (["busy", "started"], ["not-due", "started"])
        assert job.runs.count() == 1


class TestUpdateJobsStatuses:
    def test_runs_are_synced_from_one_listing_per_page(self, user: Any, aws: AWSStubs) -> None:
        jobs = [SparkJobFactory(created_by=user, identifier=f"job-{n}") for n in range(60)]
        for n, job in enumerate(jobs):
            SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{n}", status="RUNNING")
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
        SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), status="TERMINATED")
        assert tasks.update_jobs_statuses() == []

    def test_a_run_missing_from_emr_for_long_is_failed(self, user: Any, aws: AWSStubs) -> None:
        run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), status="RUNNING")
        SparkJobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
        aws.emr.add_response("list_clusters", {"Clusters": []}, {"CreatedAfter": ANY})
        # Missing from the listing is not enough: EMR is asked, and does not know it.
        aws.emr.add_client_error(
            "describe_cluster",
            "InvalidRequestException",
            f"Cluster id '{run.jobflow_id}' is not valid.",
            400,
            expected_params={"ClusterId": run.jobflow_id},
        )
        tasks.update_jobs_statuses()
        run.refresh_from_db()
        assert run.is_failed

    def test_timed_out_runs_are_stopped_between_scheduled_runs(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user, job_timeout=1)
        SparkJobRunFactory(spark_job=job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=3))
        aws.emr.add_response(
            "list_clusters", {"Clusters": [emr_cluster("j-RUN", "RUNNING")]}, {"CreatedAfter": ANY}
        )
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        tasks.update_jobs_statuses()
        assert len(mail.outbox) == 1


class TestMails:
    def failed_run(self, user: Any, code: str = "STEP_FAILURE") -> SparkJobRun:
        run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), status="TERMINATED_WITH_ERRORS")
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
        job = SparkJobFactory(created_by=user, start_date=past - timedelta(days=1), end_date=past)
        assert tasks.expire_jobs() == [["daily-report", job.pk]]
        assert tasks.expire_jobs() == []
        assert len(mail.outbox) == 1


class TestTimeouts:
    def timed_out_job(
        self, user: Any, identifier: str = "daily-report", jobflow_id: str = "j-RUN"
    ) -> SparkJob:
        job = SparkJobFactory(created_by=user, identifier=identifier, job_timeout=1)
        SparkJobRunFactory(
            spark_job=job,
            jobflow_id=jobflow_id,
            status="RUNNING",
            scheduled_at=timezone.now() - timedelta(hours=2),
        )
        return job

    def test_a_throttled_stop_is_retried_until_it_goes_through_and_the_owner_is_told_once(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = self.timed_out_job(user)
        stub_describe(aws, "RUNNING")
        aws.emr.add_client_error("terminate_job_flows", "ThrottlingException", "Rate exceeded", 400)
        with mock.patch.object(tasks.run_job, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
            tasks.run_job(job.pk)
        assert "exc" in retry.call_args.kwargs  # the backoff retry, not the ten-minute wait
        run = job.runs.get()
        assert run.timed_out_at is None
        assert mail.outbox == []

        # The retry finds the run still past its timeout, and this time EMR takes the stop.
        stub_describe(aws, "RUNNING")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        assert tasks.run_job(job.pk) == "timed-out"
        run.refresh_from_db()
        assert run.timed_out_at is not None and run.timeout_mail_sent_at is not None

        # Stopping takes a while: the next look sees it terminating, and stops and mails nothing more.
        stub_describe(aws, "TERMINATING")
        assert tasks.run_job(job.pk) == "busy"
        assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report timed out"]

    def test_the_status_sync_retries_a_refused_stop_after_stopping_the_others(
        self, user: Any, aws: AWSStubs
    ) -> None:
        self.timed_out_job(user, identifier="first", jobflow_id="j-1")
        self.timed_out_job(user, identifier="second", jobflow_id="j-2")
        listing = [emr_cluster("j-1", "RUNNING"), emr_cluster("j-2", "RUNNING")]
        aws.emr.add_response("list_clusters", {"Clusters": listing}, {"CreatedAfter": ANY})
        aws.emr.add_client_error("terminate_job_flows", "ThrottlingException", "Rate exceeded", 400)
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-2"]})
        with (
            mock.patch.object(tasks.update_jobs_statuses, "retry", side_effect=Retry()) as retry,
            pytest.raises(Retry),
        ):
            tasks.update_jobs_statuses()
        assert retry.call_args.kwargs["exc"].code == "ThrottlingException"
        assert SparkJobRun.objects.get(jobflow_id="j-1").timed_out_at is None
        assert SparkJobRun.objects.get(jobflow_id="j-2").timed_out_at is not None
        assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job second timed out"]

    def test_a_timed_out_mail_that_cannot_be_sent_goes_with_the_next_alert_sweep(
        self, user: Any, aws: AWSStubs, settings: Any
    ) -> None:
        job = self.timed_out_job(user)
        stub_describe(aws, "RUNNING")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        settings.EMAIL_BACKEND = "tests.jobs.helpers.BrokenEmailBackend"
        assert tasks.run_job(job.pk) == "timed-out"
        run = job.runs.get()
        assert run.timed_out_at is not None and run.timeout_mail_sent_at is None
        assert tasks.send_run_alert_mails() == []  # the mail server is still down

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert tasks.send_run_alert_mails() == ["daily-report"]
        assert tasks.send_run_alert_mails() == []
        assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report timed out"]

    def test_a_timed_out_run_whose_cluster_vanished_is_failed_not_mailed_as_timed_out(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = self.timed_out_job(user)
        stub_describe(aws, "RUNNING")
        aws.emr.add_client_error(
            "terminate_job_flows", "InvalidRequestException", "Cluster id 'j-RUN' is not valid.", 400
        )
        assert tasks.run_job(job.pk) == "timed-out"
        run = job.runs.get()
        assert run.is_failed and run.timed_out_at is None
        assert "disappeared" in run.alerts.get().reason_message
        assert mail.outbox == []


class TestRetries:
    def test_run_job_retries_nine_times(self) -> None:
        assert tasks.run_job.max_retries == 9

    @pytest.mark.parametrize(
        ("service", "method"),
        # The Spark configuration is read from S3 before RunJobFlow: losing S3 is as
        # transient as losing EMR.
        [("emr", "run_job_flow"), ("s3", "get_object")],
    )
    def test_aws_out_of_reach_is_retried_with_the_backoff(
        self, user: Any, aws: AWSStubs, service: str, method: str
    ) -> None:
        job = SparkJobFactory(created_by=user)
        if service == "emr":
            aws.add_spark_configuration()
        with (
            unreachable(aws, service, method),
            mock.patch.object(tasks.run_job, "retry", side_effect=Retry()) as retry,
            pytest.raises(Retry),
        ):
            tasks.run_job(job.pk)
        assert isinstance(retry.call_args.kwargs["exc"], AWSUnreachable)
        assert 0 <= retry.call_args.kwargs["countdown"] <= 1
        assert not job.runs.exists()  # the retry may go ahead
        assert not SparkJobRunAlert.objects.exists()

    @pytest.mark.parametrize("throttled", [True, False])
    def test_the_last_retry_fails_the_run_honestly_and_the_owner_is_told_once(
        self, user: Any, aws: AWSStubs, throttled: bool
    ) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        if throttled:
            aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
            outcome = tasks.run_job.apply(args=[job.pk], retries=9).get()
        else:
            with unreachable(aws, "emr", "run_job_flow"):
                outcome = tasks.run_job.apply(args=[job.pk], retries=9).get()
        assert outcome == "failed"
        run = job.runs.get()
        assert run.is_failed
        message = run.alerts.get().reason_message
        assert message.startswith("The run could not be started however often we tried: AWS ")
        assert "Rate exceeded" in message if throttled else "Could not connect" in message
        assert message.endswith("The next scheduled run will try again.")
        assert tasks.send_run_alert_mails() == ["daily-report"]
        assert tasks.send_run_alert_mails() == []
        assert len(mail.outbox) == 1

    def test_the_retry_before_the_last_still_retries(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
        # Eagerly, Celery runs the retry at once: it is the last one, and EMR answers.
        aws.add_spark_configuration()
        aws.emr.add_response("run_job_flow", {"JobFlowId": "j-LAST"}, None)
        assert tasks.run_job.apply(args=[job.pk], retries=8).get() == "started"
        assert job.runs.get().jobflow_id == "j-LAST"


class TestFirstRun:
    def test_the_first_run_is_the_start_dates_slot(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user, start_date=timezone.now() - timedelta(minutes=3))
        stub_run_job_flow(aws)
        assert tasks.run_job(job.pk, first_run=True) == "started"
        assert job.runs.get().slot == job.start_date
        assert job.schedule.next_slot() == job.start_date + timedelta(hours=24)

    def test_a_job_that_started_days_ago_runs_its_latest_slot_once(self, user: Any, aws: AWSStubs) -> None:
        start = timezone.now() - timedelta(days=2, hours=1)
        job = SparkJobFactory(created_by=user, start_date=start)
        stub_run_job_flow(aws)
        assert tasks.run_job(job.pk, first_run=True) == "started"
        assert job.runs.get().slot == start + timedelta(days=2)
        assert job.schedule.next_slot() == start + timedelta(days=3)


class TestExpiryMails:
    def test_an_expiry_mail_that_cannot_be_sent_is_sent_by_the_next_sweep(
        self, user: Any, settings: Any
    ) -> None:
        past = timezone.now() - timedelta(hours=1)
        job = SparkJobFactory(created_by=user, start_date=past - timedelta(days=1), end_date=past)
        settings.EMAIL_BACKEND = "tests.jobs.helpers.BrokenEmailBackend"
        assert tasks.expire_jobs() == [["daily-report", job.pk]]
        job.refresh_from_db()
        assert job.expired_date is not None and job.expired_mail_sent_at is None  # still to be mailed

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert tasks.expire_jobs() == []
        assert tasks.expire_jobs() == []
        assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report expired"]

    def test_a_run_alert_that_cannot_be_sent_is_sent_by_the_next_sweep(
        self, user: Any, settings: Any
    ) -> None:
        run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), status="TERMINATED_WITH_ERRORS")
        run.alert("STEP_FAILURE", "Step 2 failed.")
        settings.EMAIL_BACKEND = "tests.jobs.helpers.BrokenEmailBackend"
        assert tasks.send_run_alert_mails() == []
        assert run.alerts.get().mail_sent_date is None
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert tasks.send_run_alert_mails() == ["daily-report"]
        assert len(mail.outbox) == 1


class TestStaleRequests:
    def test_the_status_sync_adopts_the_cluster_of_a_run_that_lost_its_worker(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        run = SparkJobRunFactory(spark_job=job, requested=True)
        SparkJobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
        stub_find_run_cluster(aws, run, "j-LOST")
        aws.emr.add_response(
            "list_clusters", {"Clusters": [emr_cluster("j-LOST", "RUNNING")]}, {"CreatedAfter": ANY}
        )
        assert tasks.update_jobs_statuses() == [["daily-report", run.pk]]
        run.refresh_from_db()
        assert (run.jobflow_id, run.status) == ("j-LOST", "RUNNING")
        assert not run.alerts.exists()
