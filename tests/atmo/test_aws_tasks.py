"""Every task that calls AWS retries the same way, declared once (atmo.tasks.AWSTask)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from atmo.celery import celery
from atmo.clusters import tasks as cluster_tasks
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.jobs import tasks as job_tasks
from atmo.provisioners import AWSError, AWSThrottled, AWSUnreachable
from atmo.tasks import (
    RETRIES_OF_A_SCHEDULED_RUN,
    RETRIES_OF_A_SWEEP,
    RETRIES_WHILE_SOMEONE_WAITS,
    AWSTask,
)
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory

AWS_TASKS = {
    cluster_tasks.provision_cluster: RETRIES_WHILE_SOMEONE_WAITS,
    cluster_tasks.update_master_address: RETRIES_OF_A_SWEEP,
    cluster_tasks.update_clusters: RETRIES_OF_A_SWEEP,
    job_tasks.run_job: RETRIES_OF_A_SCHEDULED_RUN,
    job_tasks.update_jobs_statuses: RETRIES_OF_A_SWEEP,
}


@pytest.mark.parametrize(("task", "retries"), AWS_TASKS.items(), ids=lambda value: getattr(value, "name", ""))
def test_each_aws_task_retries_throttling_and_lost_connections_only(task: Any, retries: int) -> None:
    assert isinstance(task, AWSTask)
    assert task.autoretry_for == (AWSThrottled, AWSUnreachable)
    assert (task.retry_backoff, task.retry_jitter) == (1, True)
    assert task.retry_backoff_max == settings.ATMO_RETRY_BACKOFF_CAP
    assert task.max_retries == retries


#: Tasks with retries of their own that call no AWS: webhook deliveries POST to their receivers.
NOT_AWS = {"atmo.notifications.tasks.deliver_webhook"}


def test_no_other_task_calls_aws_with_a_retry_line_of_its_own() -> None:
    for name, task in celery.tasks.items():
        if name.startswith("atmo.") and name not in NOT_AWS and task.max_retries != celery.Task.max_retries:
            assert task in AWS_TASKS, f"{name} declares its own retries"


def test_the_limits_grow_with_what_is_at_stake() -> None:
    assert RETRIES_OF_A_SWEEP < RETRIES_WHILE_SOMEONE_WAITS < RETRIES_OF_A_SCHEDULED_RUN
    # A sweep's retries are over long before the next sweep (five minutes at the most frequent).
    assert 2**RETRIES_OF_A_SWEEP - 1 < 60


@pytest.mark.django_db
@pytest.mark.parametrize("retries", [0, 3, 11, 30])
def test_the_retry_wait_is_the_documented_backoff(retries: int) -> None:
    """Celery's wait for retry n is atmo.celery's: at most min(cap, 2**n), spread down to 0."""
    bound = min(settings.ATMO_RETRY_BACKOFF_CAP, 2**retries)
    waits = []
    task = cluster_tasks.update_clusters
    for _ in range(200):
        task.push_request(retries=retries)
        try:
            with (
                mock.patch.object(AWSTask, "retry", side_effect=Retry()) as retry,
                mock.patch("atmo.models.JobFlowModel.sync_from_listing", side_effect=AWSThrottled("x")),
                pytest.raises(Retry),
            ):
                task.run()
        finally:
            task.pop_request()
        waits.append(retry.call_args.kwargs["countdown"])
    assert all(0 <= wait <= bound for wait in waits)
    assert all(0 <= celery.backoff(retries) <= bound for _ in range(200))
    if bound > 1:
        assert min(waits) < bound / 4 and max(waits) > bound * 3 / 4


@pytest.mark.django_db
def test_a_refusal_is_not_retried(user: Any, aws: AWSStubs) -> None:
    ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="STARTING")
    aws.emr.add_client_error("list_clusters", "AccessDeniedException", "Not authorized", 403)
    with (
        mock.patch.object(cluster_tasks.update_clusters, "retry") as retry,
        pytest.raises(AWSError) as raised,
    ):
        cluster_tasks.update_clusters()
    assert not retry.called
    assert raised.value.code == "AccessDeniedException"


def test_throttling_is_an_error_of_its_own_kind(aws: AWSStubs, live_setting: Any) -> None:
    aws.emr.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 400)
    with pytest.raises(AWSThrottled) as raised:
        ClusterProvisioner().list(created_after=timezone.now())
    assert raised.value.is_throttling and raised.value.message == "Rate exceeded"
