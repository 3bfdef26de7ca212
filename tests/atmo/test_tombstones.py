"""A deleted object's page: 410 with what it was for its owner, a plain 404 for anyone else."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import committed
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db


def test_a_key_its_owner_deleted_answers_410_saying_so_with_a_link_back(client_for: Any, user: Any) -> None:
    ssh_key = SSHKeyFactory(created_by=user, title="old laptop")
    client = client_for(user)
    client.post(f"/keys/{ssh_key.pk}/delete/")

    response = client.get(f"/keys/{ssh_key.pk}/")

    assert response.status_code == 410
    body = response.content.decode()
    assert "This SSH key was deleted" in body
    assert '<strong class="text-break">old laptop</strong> was deleted' in body
    assert "by you" in body
    assert 'href="/keys/"' in body
    # Its other pages too.
    assert client.get(f"/keys/{ssh_key.pk}/raw/").status_code == 410


def test_someone_elses_deleted_key_is_a_plain_404(client_for: Any, user: Any, user2: Any) -> None:
    ssh_key = SSHKeyFactory(created_by=user, title="old laptop")
    client_for(user).post(f"/keys/{ssh_key.pk}/delete/")
    other = Client()  # a browser of its own: no message left from alice's deletion
    other.force_login(user2)

    response = other.get(f"/keys/{ssh_key.pk}/")

    assert response.status_code == 404
    assert "old laptop" not in response.content.decode()


def test_an_id_that_never_existed_stays_404(client_for: Any, user: Any) -> None:
    assert client_for(user).get("/keys/987654/").status_code == 404
    assert client_for(user).get("/clusters/987654/").status_code == 404


def test_a_cluster_deleted_by_an_operator_names_them(client_for: Any, user: Any, admin_user: Any) -> None:
    cluster = ClusterFactory(created_by=user, identifier="big-one", most_recent_status="TERMINATED")
    response = client_for(admin_user).post(f"/admin/clusters/cluster/{cluster.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    page = client_for(user).get(f"/clusters/{cluster.pk}/")

    assert page.status_code == 410
    body = page.content.decode()
    assert "This cluster was deleted" in body
    assert f"by the operator {admin_user.get_username()}" in body
    assert 'href="/"' in body


def test_a_deleted_jobs_page_and_its_runs_pages_say_it_was_deleted(
    client_for: Any, user: Any, aws: AWSStubs
) -> None:
    spark_job = SparkJobFactory(created_by=user, identifier="daily-report")
    run = SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-DONE", status="TERMINATED")
    aws.s3.add_response(
        "delete_object", {}, {"Bucket": settings.AWS_CONFIG["CODE_BUCKET"], "Key": spark_job.notebook_s3_key}
    )
    client = client_for(user)
    with committed():
        assert client.post(f"/jobs/{spark_job.pk}/delete/").status_code == 302

    assert client.get(f"/jobs/{spark_job.pk}/").status_code == 410
    run_page = client.get(f"/jobs/{spark_job.pk}/runs/{run.pk}/")
    assert run_page.status_code == 410
    assert "daily-report" in run_page.content.decode()


def test_a_run_deleted_in_the_admin_answers_410_to_the_jobs_owner(
    client_for: Any, user: Any, admin_user: Any
) -> None:
    spark_job = SparkJobFactory(created_by=user)
    run = SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-OLD", status="TERMINATED")
    client_for(admin_user).post(f"/admin/jobs/sparkjobrun/{run.pk}/delete/", {"post": "yes"})

    response = client_for(user).get(f"/jobs/{spark_job.pk}/runs/{run.pk}/")

    assert response.status_code == 410
    assert "j-OLD" in response.content.decode()


def test_a_deleted_objects_page_is_logged_below_error(
    client_for: Any, user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ssh_key = SSHKeyFactory(created_by=user)
    client = client_for(user)
    client.post(f"/keys/{ssh_key.pk}/delete/")

    with caplog.at_level(logging.DEBUG):
        assert client.get(f"/keys/{ssh_key.pk}/").status_code == 410
        assert client.get("/keys/987654/").status_code == 404

    assert caplog.records
    assert all(record.levelno < logging.ERROR for record in caplog.records)
    assert any(record.getMessage() == "deleted object requested" for record in caplog.records)
