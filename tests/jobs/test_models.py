from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import ANY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.models import UserObjectPermission

from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.jobs.exceptions import SparkJobNotFound
from atmo.jobs.models import Deletion, JobDeletion, RunNow, RunNowResult, SparkJob, SparkJobRun
from atmo.provisioners import AWSError
from atmo.stats.models import Metric
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import committed, save_committed, stub_find_run_cluster, stub_run_job_flow

pytestmark = pytest.mark.django_db


def info(state: str, **kwargs: Any) -> Any:
    return ClusterProvisioner.format_list(emr_cluster("j-RUN", state, **kwargs))


class TestState:
    def test_a_job_that_never_ran_is_runnable(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        assert job.has_never_run and job.is_runnable and not job.has_finished

    def test_a_job_with_a_run_under_way_is_not_runnable(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        assert not job.is_runnable
        assert job.is_active

    @pytest.mark.parametrize("status", ["TERMINATED", "TERMINATED_WITH_ERRORS"])
    def test_a_job_whose_last_run_ended_is_runnable(self, user: Any, status: str) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status=status)
        assert job.has_finished and job.is_runnable

    def test_due_means_started_and_not_ended(self, user: Any) -> None:
        now = timezone.now()
        assert SparkJobFactory(created_by=user, identifier="a", start_date=now - timedelta(minutes=1)).is_due
        assert not SparkJobFactory(
            created_by=user, identifier="b", start_date=now + timedelta(minutes=1)
        ).is_due
        assert not SparkJobFactory(
            created_by=user,
            identifier="c",
            start_date=now - timedelta(days=2),
            end_date=now - timedelta(days=1),
        ).is_due

    def test_a_run_times_out_after_the_job_timeout(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user, job_timeout=2)
        SparkJobRunFactory(
            spark_job=job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=2, minutes=1)
        )
        assert job.has_timed_out

    def test_a_run_within_its_timeout_or_already_stopped_has_not_timed_out(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user, job_timeout=2)
        SparkJobRunFactory(spark_job=job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=1))
        assert not job.has_timed_out
        job.runs.update(scheduled_at=timezone.now() - timedelta(hours=3), timed_out_at=timezone.now())
        assert not job.has_timed_out

    def test_lapsed_jobs_are_past_their_end_and_not_expired(self, user: Any) -> None:
        past = timezone.now() - timedelta(days=1)
        lapsed = SparkJobFactory(
            created_by=user, identifier="lapsed", start_date=past - timedelta(days=1), end_date=past
        )
        SparkJobFactory(created_by=user, identifier="open-ended")
        gone = SparkJobFactory(
            created_by=user, identifier="gone", start_date=past - timedelta(days=1), end_date=past
        )
        gone.expire()
        assert list(SparkJob.objects.lapsed()) == [lapsed]

    def test_moving_the_end_date_brings_an_expired_job_back(self, user: Any) -> None:
        past = timezone.now() - timedelta(hours=1)
        job = SparkJobFactory(created_by=user, start_date=past - timedelta(days=1), end_date=past)
        job.expire()
        job.end_date = timezone.now() + timedelta(days=7)
        save_committed(job)
        job.refresh_from_db()
        assert job.expired_date is None
        # Back on its schedule from now: the slots it missed while expired are not replayed.
        assert job.schedule_from is not None
        assert job.schedule.next_slot() == job.start_date + timedelta(days=2)

    def test_owners_get_permissions_and_others_none(self, user: Any, user2: Any) -> None:
        job = SparkJobFactory(created_by=user)
        assert user.has_perm("jobs.change_sparkjob", job)
        assert not user2.has_perm("jobs.view_sparkjob", job)


class TestRun:
    def test_run_starts_a_cluster_and_records_the_run(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        stub_run_job_flow(aws)
        run = job.run()
        assert run is not None
        assert (run.jobflow_id, run.status, run.size, run.emr_release_version) == (
            "j-NOW",
            "STARTING",
            2,
            "7.1.0",
        )
        assert run.scheduled_at is not None
        assert job.latest_run() == run
        assert Metric.objects.get(key="sparkjob-emr-version").data == {"version": "7.1.0"}

    def test_run_does_nothing_while_a_run_is_under_way(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        assert job.run() is None
        assert job.runs.count() == 1

    def test_a_refused_run_is_failed_with_an_alert(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ValidationException", "Release label not found.", 400)
        run = job.run()
        assert run.status == Cluster.STATUS_TERMINATED_WITH_ERRORS
        alert = run.alerts.get()
        assert alert.reason_code == "VALIDATION_ERROR"
        assert alert.reason_message == (
            "The run could not be started: AWS refused (Release label not found). "
            "Please try again, and tell the ATMO team if it keeps failing."
        )
        assert job.is_runnable  # the next run may go ahead

    def test_a_throttled_run_leaves_no_trace_for_the_retry(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(AWSError):
            job.run()
        assert not job.runs.exists()

    def test_a_request_that_lost_its_worker_is_given_up_after_a_while(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        stale = SparkJobRunFactory(spark_job=job, requested=True)
        SparkJobRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
        aws.emr.add_response("list_clusters", {"Clusters": []}, {"CreatedAfter": ANY})  # no cluster to adopt
        stub_run_job_flow(aws)
        assert job.run() is not None
        stale.refresh_from_db()
        assert stale.is_failed
        assert "never started" in stale.alerts.get().reason_message

    def test_a_fresh_request_blocks_a_second_run(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, requested=True)
        assert job.claim_run() is None


class TestSync:
    def test_sync_copies_state_and_records_metrics(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user, size=3)
        run = SparkJobRunFactory(spark_job=job, status="STARTING")
        started = timezone.now() - timedelta(days=2)
        ready = started + timedelta(minutes=5)
        ended = ready + timedelta(hours=26)
        assert run.sync(info("WAITING", created=started, ready=ready)) is True
        assert run.status == "WAITING"
        assert run.sync(info("TERMINATED", created=started, ready=ready, ended=ended)) is True
        assert run.status == "TERMINATED"
        values = dict(Metric.objects.values_list("key", "value"))
        assert values["sparkjob-time-to-ready"] == 300
        # 26 h 5 min rounds up to 27 hours on 4 machines; run time counts every day.
        assert values["sparkjob-normalized-instance-hours"] == 27 * 4
        assert values["sparkjob-run-time"] == 26 * 3600

    def test_a_failed_run_gets_one_alert_however_often_it_is_synced(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        run = SparkJobRunFactory(spark_job=job, status="RUNNING")
        failed = info("TERMINATED_WITH_ERRORS", reason=("STEP_FAILURE", "Step failed."), ended=timezone.now())
        run.sync(failed)
        run.sync(failed)
        alert = run.alerts.get()
        assert (alert.reason_code, alert.reason_message) == ("STEP_FAILURE", "Step failed.")

    def test_a_run_whose_cluster_vanished_is_failed(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        run = SparkJobRunFactory(spark_job=job, status="RUNNING")
        aws.emr.add_client_error(
            "describe_cluster", "InvalidRequestException", "Cluster id 'j-RUN' is not valid.", 400
        )
        assert run.sync() is True
        assert run.status == Cluster.STATUS_TERMINATED_WITH_ERRORS
        assert "disappeared" in run.alerts.get().reason_message


class TestTerminateAndDelete:
    def test_terminate_stops_the_running_cluster(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        job.terminate()

    def test_terminate_leaves_finished_runs_alone(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="TERMINATED")
        job.terminate()

    def test_delete_stops_the_cluster_and_removes_the_notebook(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
        aws.s3.add_response(
            "delete_object", {}, {"Bucket": "atmo-code", "Key": "jobs/daily-report/report.ipynb"}
        )
        with committed():
            job.delete()
        assert not SparkJob.objects.exists()
        assert not SparkJobRun.objects.exists()


class TestShouldRun:
    def test_a_due_enabled_job_with_no_run_under_way_should_run(self, user: Any) -> None:
        assert SparkJobFactory(created_by=user).should_run

    @pytest.mark.parametrize(
        "fields",
        [
            {"is_enabled": False},
            {"start_date": timezone.now() + timedelta(hours=1)},
            {
                "start_date": timezone.now() - timedelta(days=2),
                "end_date": timezone.now() - timedelta(days=1),
            },
        ],
    )
    def test_a_disabled_early_or_ended_job_should_not(self, user: Any, fields: dict[str, Any]) -> None:
        assert not SparkJobFactory(created_by=user, **fields).should_run

    def test_a_job_with_a_run_under_way_should_not(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        assert not job.should_run


class TestRunTagAndStaleRequests:
    def stale_run(self, job: SparkJob) -> SparkJobRun:
        run = SparkJobRunFactory(spark_job=job, requested=True)
        SparkJobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
        run.refresh_from_db()
        return run

    def test_each_runs_cluster_is_tagged_with_the_run(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        sent: dict[str, Any] = {}
        aws.clients["emr"].meta.events.register(
            "provide-client-params.emr.RunJobFlow", lambda params, **kwargs: sent.update(params)
        )
        stub_run_job_flow(aws)
        run = job.run()
        assert {"Key": "SparkJobRun", "Value": str(run.pk)} in sent["Tags"]
        assert sent["Name"] == "atmo-test-job-alice@example.com-daily-report"

    def test_a_run_that_lost_its_worker_adopts_the_cluster_started_for_it(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        run = self.stale_run(job)
        stub_find_run_cluster(aws, run, "j-LOST")
        run.give_up_if_stale()
        run.refresh_from_db()
        assert (run.jobflow_id, run.status) == ("j-LOST", "STARTING")
        assert not run.alerts.exists()
        assert not job.is_runnable  # the adopted run keeps the next one out until it ends

    def test_a_cluster_of_another_run_is_not_adopted(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        run = self.stale_run(job)
        stub_find_run_cluster(aws, run, None)
        run.give_up_if_stale()
        run.refresh_from_db()
        assert run.is_failed and run.jobflow_id is None
        assert "never started" in run.alerts.get().reason_message

    def test_a_fresh_request_is_not_looked_for(self, user: Any, aws: AWSStubs) -> None:
        run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), requested=True)
        run.give_up_if_stale()  # no AWS call: its worker may still be waiting for EMR
        assert run.status == Cluster.REQUESTED

    def test_a_job_deleted_while_emr_started_its_run_gets_its_cluster_stopped(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)

        def delete_meanwhile(**kwargs: Any) -> None:
            SparkJob.objects.filter(pk=job.pk).delete()

        aws.clients["emr"].meta.events.register("provide-client-params.emr.RunJobFlow", delete_meanwhile)
        stub_run_job_flow(aws, "j-ORPHAN")
        aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-ORPHAN"]})
        with pytest.raises(SparkJobNotFound):
            job.run()


class TestDeleteWhileStarting:
    def test_a_job_whose_run_is_starting_is_not_deleted(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, requested=True)
        with pytest.raises(SparkJob.RunStarting), committed():
            job.delete()
        assert SparkJob.objects.filter(pk=job.pk).exists()
        assert job.schedule.next_slot() is not None

    def test_a_job_whose_run_cluster_vanished_is_deleted(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        aws.emr.add_client_error(
            "terminate_job_flows", "InvalidRequestException", "Cluster id 'j-RUN' is not valid.", 400
        )
        aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": job.notebook_s3_key})
        with committed():
            job.delete()
        assert not SparkJob.objects.exists()

    def test_a_stale_run_emr_cannot_be_asked_about_keeps_the_job(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        stale = SparkJobRunFactory(spark_job=job, requested=True)
        SparkJobRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
        aws.emr.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(SparkJob.StaleRunUnchecked) as raised, committed():
            job.delete()
        # Still an AWSError with AWS's words, for callers that catch only those.
        assert isinstance(raised.value, AWSError) and raised.value.is_throttling
        assert raised.value.message == "Rate exceeded"
        assert SparkJob.objects.filter(pk=job.pk).exists()
        assert job.schedule.next_slot() is not None
        stale.refresh_from_db()
        assert stale.status == Cluster.REQUESTED

    def test_deleting_takes_the_jobs_row_lock(self, user: Any, aws: AWSStubs) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("row locks are PostgreSQL's (SQLite has none to take)")
        job = SparkJobFactory(created_by=user)
        aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": job.notebook_s3_key})
        with CaptureQueriesContext(connection) as queries:
            job.delete()
        assert any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)


class TestSyncLatestRun:
    def test_a_finished_run_is_not_asked_about_again(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="TERMINATED")
        assert job.sync_latest_run() is True  # the aws fixture fails on any call

    def test_a_job_without_runs_has_nothing_to_sync(self, user: Any, aws: AWSStubs) -> None:
        assert SparkJobFactory(created_by=user).sync_latest_run() is False


class TestLatestRun:
    def test_the_latest_run_is_the_newest_one_and_none_before_the_first(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        assert job.latest_run() is None
        SparkJobRunFactory(spark_job=job, jobflow_id="j-OLD", status="TERMINATED")
        newest = SparkJobRunFactory(spark_job=job, jobflow_id="j-NEW", status="RUNNING")
        assert job.latest_run() == newest

    def test_a_new_run_is_seen_at_once_by_the_same_instance(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="TERMINATED")
        assert job.is_runnable
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        assert not job.is_runnable and job.is_active

    def test_jobs_loaded_with_their_latest_run_answer_without_a_query(
        self, user: Any, django_assert_num_queries: Any
    ) -> None:
        for n in range(3):
            job = SparkJobFactory(created_by=user, identifier=f"job-{n}")
            SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{n}-OLD", status="TERMINATED")
            SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{n}", status="RUNNING").alert("X", "why")
        SparkJobFactory(created_by=user, identifier="never-ran")
        with django_assert_num_queries(3):  # the jobs, their newest runs, those runs' alerts
            jobs = list(SparkJob.objects.with_latest_run().order_by("identifier"))
        with django_assert_num_queries(0):
            assert [job.latest_run().jobflow_id if job.latest_run() else None for job in jobs] == [
                "j-0",
                "j-1",
                "j-2",
                None,
            ]
            assert [job.is_active for job in jobs] == [True, True, True, False]
            assert [len(job.latest_run().alerts.all()) for job in jobs[:3]] == [1, 1, 1]

    def test_the_summary_annotates_the_newest_runs_status(self, user: Any) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, jobflow_id="j-OLD", status="TERMINATED")
        SparkJobRunFactory(spark_job=job, jobflow_id="j-NEW", status="RUNNING")
        SparkJobFactory(created_by=user, identifier="never-ran")
        rows = {job.identifier: job for job in SparkJob.objects.with_latest_run_summary()}
        assert rows["daily-report"].latest_run_status == "RUNNING"
        assert rows["never-ran"].latest_run_status is None


class TestRunNow:
    def test_a_started_run_takes_no_slot_of_the_schedule(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        before = job.schedule.next_slot()
        stub_run_job_flow(aws)
        result = job.run_now()
        assert result.outcome == RunNow.STARTED and result.error is None
        assert result.run == job.runs.get()
        assert result.run.slot is None
        assert job.schedule.next_slot() == before

    def test_a_disabled_job_is_not_started(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user, is_enabled=False)
        assert job.run_now() == RunNowResult(RunNow.DISABLED)  # the aws fixture fails on any call
        assert not job.runs.exists()

    def test_a_run_emr_still_runs_keeps_the_job_busy(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        aws.emr.add_response(
            "describe_cluster", {"Cluster": emr_cluster("j-RUN", "RUNNING")}, {"ClusterId": "j-RUN"}
        )
        assert job.run_now() == RunNowResult(RunNow.BUSY)
        assert job.runs.count() == 1

    def test_a_run_that_ended_since_the_last_sync_does_not_block_the_next(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        ended = emr_cluster("j-RUN", "TERMINATED", ended=timezone.now())
        aws.emr.add_response("describe_cluster", {"Cluster": ended}, {"ClusterId": "j-RUN"})
        stub_run_job_flow(aws)
        assert job.run_now().outcome == RunNow.STARTED
        assert job.runs.count() == 2

    def test_a_refused_run_is_kept_failed(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        before = job.schedule.next_slot()
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ValidationException", "Unknown release.", 400)
        result = job.run_now()
        assert result.outcome == RunNow.REFUSED and result.run is not None and result.run.is_failed
        assert job.schedule.next_slot() == before

    def test_aws_busy_starts_nothing_and_keeps_the_error(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        aws.add_spark_configuration()
        aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
        result = job.run_now()
        assert result.outcome == RunNow.AWS_UNAVAILABLE and result.run is None
        assert result.error is not None and result.error.is_throttling
        assert not job.runs.exists()


class TestDeleteSafely:
    def test_a_deleted_job_takes_its_object_permissions_along_once_committed(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": job.notebook_s3_key})
        grants = UserObjectPermission.objects.filter(object_pk=str(job.pk), content_type__model="sparkjob")
        assert grants.count() == 3
        with committed():
            assert job.delete_safely() == JobDeletion(Deletion.DELETED)
            assert grants.count() == 3  # until the commit
        assert not grants.exists()

    def test_a_starting_run_keeps_the_job(self, user: Any, aws: AWSStubs) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, requested=True)
        with committed():
            assert job.delete_safely() == JobDeletion(Deletion.RUN_STARTING)
        assert SparkJob.objects.filter(pk=job.pk).exists()
        assert user.has_perm("jobs.delete_sparkjob", job)

    def test_a_cluster_that_cannot_be_stopped_keeps_the_job_and_says_why(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        SparkJobRunFactory(spark_job=job, status="RUNNING")
        aws.emr.add_client_error("terminate_job_flows", "AccessDeniedException", "No.", 400)
        deletion = job.delete_safely()
        assert deletion.outcome == Deletion.CLUSTER_NOT_STOPPED
        assert deletion.error is not None and deletion.error.code == "AccessDeniedException"
        assert SparkJob.objects.filter(pk=job.pk).exists()

    def test_a_stale_run_emr_cannot_be_asked_about_keeps_the_job_with_awss_error(
        self, user: Any, aws: AWSStubs
    ) -> None:
        job = SparkJobFactory(created_by=user)
        stale = SparkJobRunFactory(spark_job=job, requested=True)
        SparkJobRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
        aws.emr.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 400)
        deletion = job.delete_safely()
        assert deletion.outcome == Deletion.RUN_UNCHECKED
        assert deletion.error is not None and deletion.error.is_throttling
        assert deletion.outcome.what_failed.startswith("the run that was being started")
