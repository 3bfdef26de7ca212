"""Jobs, runs and SSH keys through the API, with the pages' forms and model verbs."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from botocore.stub import ANY

from atmo.jobs.forms import MESSAGES as JOB_MESSAGES
from atmo.jobs.models import SparkJob, SparkJobRun
from atmo.jobs.provisioners import SparkJobProvisioner
from atmo.jobs.views import RUN_NOW_REFUSALS
from atmo.keys.forms import MESSAGES as KEY_MESSAGES
from atmo.keys.models import SSHKey
from atmo.tombstones import Tombstone
from tests.api.conftest import assert_problem
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.conftest import CODE_BUCKET, notebook_upload
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.keys.factories import SSHKeyFactory, dsa_public_key, public_key

pytestmark = pytest.mark.django_db


def test_it_schedules_a_job_with_an_uploaded_notebook(api: Any, user: Any, aws: Any) -> None:
    EMRReleaseFactory(version="7.1.0")
    aws.s3.add_response(
        "put_object", {}, {"Bucket": CODE_BUCKET, "Key": "jobs/nightly/report.ipynb", "Body": ANY}
    )
    response = api.post(
        "/api/v1/jobs/",
        {"identifier": "nightly", "description": "Counts", "notebook": notebook_upload()},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    job = SparkJob.objects.get(created_by=user)
    body = response.json()
    assert (body["identifier"], body["notebook_name"], body["size"]) == ("nightly", "report.ipynb", 1)
    assert (body["interval_in_hours"], body["emr_release"], body["latest_run"]) == (168, "7.1.0", None)
    assert job.notebook_s3_key == "jobs/nightly/report.ipynb"


def test_a_job_without_a_notebook_gets_the_forms_message(api: Any, user: Any) -> None:
    SparkJobFactory(created_by=user, identifier="taken")
    body = assert_problem(api.post("/api/v1/jobs/", {"identifier": "taken"}, format="json"), 400)
    assert {"detail": JOB_MESSAGES["identifier_taken"], "pointer": "#/identifier"} in body["errors"]
    assert {"detail": "Choose the notebook the job runs.", "pointer": "#/notebook"} in body["errors"]


def test_it_changes_only_the_fields_sent(api: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    start = job.start_date
    response = api.patch(f"/api/v1/jobs/{job.pk}/", {"description": "New words", "size": 3}, format="json")
    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert (job.description, job.size, job.start_date, job.identifier) == (
        "New words",
        3,
        start,
        "daily-report",
    )


def test_a_change_out_of_bounds_is_refused(api: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    body = assert_problem(api.patch(f"/api/v1/jobs/{job.pk}/", {"size": 0}, format="json"), 400)
    assert [error["pointer"] for error in body["errors"]] == ["#/size"]


def test_it_deletes_a_job_and_its_notebook(api: Any, user: Any, aws: Any) -> None:
    job = SparkJobFactory(created_by=user)
    aws.s3.add_response("delete_object", {}, {"Bucket": CODE_BUCKET, "Key": job.notebook_s3_key})
    assert api.delete(f"/api/v1/jobs/{job.pk}/").status_code == 204
    assert not SparkJob.objects.exists()


def test_it_runs_a_job_now(api: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    with mock.patch.object(SparkJobProvisioner, "run", autospec=True, return_value="j-NOW"):
        response = api.post(f"/api/v1/jobs/{job.pk}/run/")
    assert response.status_code == 201, response.content
    run = SparkJobRun.objects.get(spark_job=job)
    assert (response.json()["id"], response.json()["jobflow_id"], run.status) == (run.pk, "j-NOW", "STARTING")


def test_a_job_with_a_run_under_way_is_not_run_again(api: Any, user: Any, aws: Any) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job)
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded")
    assert_problem(api.post(f"/api/v1/jobs/{job.pk}/run/"), 409, RUN_NOW_REFUSALS["busy"])


def test_runs_come_per_job_and_show_why_they_failed(api: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    failed = SparkJobRunFactory(spark_job=job, status="TERMINATED_WITH_ERRORS", jobflow_id="j-F")
    failed.alert("STEP_FAILURE", "The notebook raised an error")
    SparkJobRunFactory(spark_job=job, jobflow_id="j-R")
    runs = api.get(f"/api/v1/jobs/{job.pk}/runs/", {"state": "TERMINATED_WITH_ERRORS"}).json()["results"]
    assert [run["jobflow_id"] for run in runs] == ["j-F"]
    shown = api.get(f"/api/v1/runs/{failed.pk}/").json()
    assert shown["alerts"][0]["reason_message"] == "The notebook raised an error"
    listed = api.get("/api/v1/jobs/", {"state": "active"}).json()["results"]
    assert [item["latest_run"]["jobflow_id"] for item in listed] == ["j-R"]


def test_it_adds_a_key_with_the_forms_checks(api: Any, user: Any) -> None:
    text = public_key("ssh-ed25519", comment="me@laptop")
    response = api.post("/api/v1/ssh-keys/", {"key": text}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "me@laptop"
    again = assert_problem(api.post("/api/v1/ssh-keys/", {"key": text}, format="json"), 400)
    assert again["errors"] == [
        {"detail": KEY_MESSAGES["duplicate"] % {"title": "me@laptop"}, "pointer": "#/key"}
    ]
    private = assert_problem(
        api.post("/api/v1/ssh-keys/", {"key": "-----BEGIN OPENSSH PRIVATE KEY-----"}, format="json"), 400
    )
    assert private["errors"][0]["detail"] == KEY_MESSAGES["private"]


def test_a_key_reads_with_its_sha256_fingerprint_and_type(api: Any, user: Any) -> None:
    key = SSHKeyFactory(created_by=user)

    shown = api.get(f"/api/v1/ssh-keys/{key.pk}/").json()

    assert shown["fingerprint"].startswith("SHA256:")
    assert shown["fingerprint"] == shown["sha256_fingerprint"] == key.fingerprint
    assert shown["type_name"] == "ED25519"


def test_it_refuses_a_dsa_key_and_a_title_the_user_has(api: Any, user: Any) -> None:
    SSHKeyFactory(created_by=user, title="laptop")

    dsa = assert_problem(api.post("/api/v1/ssh-keys/", {"key": dsa_public_key()}, format="json"), 400)
    taken = assert_problem(
        api.post("/api/v1/ssh-keys/", {"key": public_key(), "title": "Laptop"}, format="json"), 400
    )

    assert dsa["errors"] == [{"detail": KEY_MESSAGES["dsa"], "pointer": "#/key"}]
    assert taken["errors"] == [
        {"detail": KEY_MESSAGES["title_taken"] % {"title": "Laptop"}, "pointer": "#/title"}
    ]
    assert SSHKey.objects.count() == 1


def test_it_deletes_a_key(api: Any, user: Any) -> None:
    key = SSHKeyFactory(created_by=user)
    assert api.delete(f"/api/v1/ssh-keys/{key.pk}/").status_code == 204
    assert not SSHKey.objects.exists()


def test_the_api_deleting_a_key_leaves_a_tombstone(api: Any, user: Any) -> None:
    ssh_key = SSHKeyFactory(created_by=user, title="ci")

    assert api.delete(f"/api/v1/ssh-keys/{ssh_key.pk}/").status_code == 204

    tombstone = Tombstone.objects.get(kind="keys.sshkey", object_id=ssh_key.pk)
    assert (tombstone.label, tombstone.owner, tombstone.deleted_by) == ("ci", user, user)


def test_a_key_its_owner_deleted_answers_410_and_a_stranger_404(
    api: Any, api_for: Any, user: Any, user2: Any
) -> None:
    ssh_key = SSHKeyFactory(created_by=user, title="ci")
    api.delete(f"/api/v1/ssh-keys/{ssh_key.pk}/")

    gone = assert_problem(api.get(f"/api/v1/ssh-keys/{ssh_key.pk}/"), 410)
    assert gone["detail"] == "The SSH key ci was deleted."
    assert_problem(api_for(user2).get(f"/api/v1/ssh-keys/{ssh_key.pk}/"), 404)
