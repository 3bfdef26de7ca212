from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from guardian.shortcuts import get_groups_with_perms

from atmo.clusters.forms import IDENTIFIER_MESSAGE
from atmo.jobs.forms import MESSAGES, EditSparkJobForm, NewSparkJobForm
from atmo.jobs.models import SparkJob
from atmo.jobs.provisioners import SparkJobProvisioner
from atmo.provisioners import AWSError
from tests.jobs.conftest import ZEPPELIN_NOTE, notebook_bytes, notebook_upload
from tests.jobs.helpers import committed, make_job

pytestmark = pytest.mark.django_db

FORMAT = "%Y-%m-%d %H:%M"


def key_for(provisioner: Any, identifier: str, notebook_file: Any) -> str:
    return f"jobs/{identifier}/{notebook_file.name}"


@pytest.fixture
def add() -> Iterator[mock.MagicMock]:
    with mock.patch.object(SparkJobProvisioner, "add", autospec=True, side_effect=key_for) as patched:
        yield patched


@pytest.fixture
def remove() -> Iterator[mock.MagicMock]:
    with mock.patch.object(SparkJobProvisioner, "remove", autospec=True) as patched:
        yield patched


def new_data(release: Any, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "identifier": "weekly-report",
        "description": "Counts the week's things.",
        "result_visibility": "private",
        "size": 3,
        "interval_in_hours": SparkJob.INTERVAL_WEEKLY,
        "job_timeout": 4,
        "start_date": (timezone.now() + timedelta(hours=1)).strftime(FORMAT),
        "end_date": "",
        "emr_release": release.pk,
    }
    values.update(overrides)
    return {f"new-{name}": value for name, value in values.items()}


def new_form(user: Any, release: Any, upload: Any = "default", **overrides: Any) -> NewSparkJobForm:
    files = {"new-notebook": notebook_upload() if upload == "default" else upload}
    if upload is None:
        files = {}
    return NewSparkJobForm(user, data=new_data(release, **overrides), files=files)


def edit_data(job: SparkJob, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "identifier": job.identifier,
        "description": job.description,
        "result_visibility": job.result_visibility,
        "size": job.size,
        "interval_in_hours": job.interval_in_hours,
        "job_timeout": job.job_timeout,
        "start_date": job.start_date.strftime(FORMAT),
        "end_date": job.end_date.strftime(FORMAT) if job.end_date else "",
    }
    values.update(overrides)
    return {f"edit-{name}": value for name, value in values.items()}


# --- New job: valid input ---------------------------------------------------------


def test_a_valid_form_uploads_the_notebook_then_saves_the_job(
    user: Any, release: Any, add: mock.MagicMock
) -> None:
    form = new_form(user, release)
    assert form.is_valid(), form.errors
    with committed():
        job = form.save()
    add.assert_called_once()
    assert add.call_args.args[1] == "weekly-report"
    assert job.notebook_s3_key == "jobs/weekly-report/report.ipynb"
    assert job.created_by == user
    assert job.emr_release == release
    assert job.interval_in_hours == SparkJob.INTERVAL_WEEKLY
    assert job.schedule.get() is not None


def test_a_new_job_is_shared_with_the_maintainers_group(user: Any, release: Any, add: mock.MagicMock) -> None:
    form = new_form(user, release)
    assert form.is_valid()
    job = form.save()
    groups = get_groups_with_perms(job, attach_perms=True)
    assert {group.name: perms for group, perms in groups.items()} == {
        "Spark job maintainers": ["view_sparkjob"]
    }
    assert user.has_perm("jobs.change_sparkjob", job)


def test_a_zeppelin_note_is_accepted(user: Any, release: Any, add: mock.MagicMock) -> None:
    form = new_form(user, release, upload=notebook_upload("note.json"))
    assert form.is_valid(), form.errors
    assert form.save().notebook_s3_key == "jobs/weekly-report/note.json"


def test_an_nbformat_3_notebook_without_cells_is_accepted(user: Any, release: Any) -> None:
    content = notebook_bytes({"nbformat": 3, "worksheets": [{"cells": []}]})
    assert new_form(user, release, upload=notebook_upload(content=content)).is_valid()


def test_the_uploaded_file_name_is_made_safe_for_s3(user: Any, release: Any, add: mock.MagicMock) -> None:
    form = new_form(user, release, upload=notebook_upload("my report (v2).ipynb"))
    assert form.is_valid(), form.errors
    assert form.save().notebook_s3_key == "jobs/weekly-report/my_report_v2.ipynb"


@pytest.mark.parametrize("value", ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
def test_dates_are_read_with_or_without_seconds_in_utc(user: Any, release: Any, value: str) -> None:
    start = timezone.now() + timedelta(days=1)
    form = new_form(user, release, start_date=start.strftime(value))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start_date"].utcoffset() == timedelta(0)
    assert form.cleaned_data["start_date"].strftime(FORMAT) == start.strftime(FORMAT)


def test_a_start_date_a_few_seconds_ago_is_still_accepted(user: Any, release: Any) -> None:
    just_now = timezone.now() - timedelta(seconds=20)
    form = new_form(user, release, start_date=just_now.strftime("%Y-%m-%d %H:%M:%S"))
    assert form.is_valid(), form.errors


# --- New job: each rule and its message ---------------------------------------------


@pytest.mark.parametrize("identifier", ["Upper", "with space", "under_score", "a" * 101, "dot.ted"])
def test_the_identifier_must_match_the_pattern(user: Any, release: Any, identifier: str) -> None:
    form = new_form(user, release, identifier=identifier)
    assert form.errors["identifier"] == [IDENTIFIER_MESSAGE]


def test_a_taken_identifier_is_refused_with_a_clear_message(user: Any, user2: Any, release: Any) -> None:
    make_job(user2, identifier="weekly-report")
    form = new_form(user, release)
    assert form.errors["identifier"] == [MESSAGES["identifier_taken"]]


def test_the_description_is_required(user: Any, release: Any) -> None:
    form = new_form(user, release, description="   ")
    assert form.errors["description"] == [MESSAGES["description_required"]]


def test_the_notebook_is_required(user: Any, release: Any) -> None:
    form = new_form(user, release, upload=None)
    assert form.errors["notebook"] == [MESSAGES["notebook_required"]]


@pytest.mark.parametrize("name", ["report.py", "report.ipynb.txt", "report"])
def test_only_ipynb_and_json_files_are_accepted(user: Any, release: Any, name: str) -> None:
    form = new_form(user, release, upload=notebook_upload(name, content=notebook_bytes()))
    assert form.errors["notebook"] == [MESSAGES["notebook_extension"]]


def test_content_that_is_not_json_is_refused(user: Any, release: Any) -> None:
    form = new_form(user, release, upload=notebook_upload(content=b"print('hello')\n"))
    assert form.errors["notebook"] == [MESSAGES["notebook_not_json"]]


def test_content_that_is_not_text_is_refused_as_not_json(user: Any, release: Any) -> None:
    form = new_form(user, release, upload=notebook_upload(content=b"\xff\xfe\x00\x81garbage"))
    assert form.errors["notebook"] == [MESSAGES["notebook_not_json"]]


@pytest.mark.parametrize("document", [{"metadata": {}}, [1, 2, 3], ZEPPELIN_NOTE])
def test_an_ipynb_file_must_have_a_jupyter_structure(user: Any, release: Any, document: Any) -> None:
    form = new_form(user, release, upload=notebook_upload(content=notebook_bytes(document)))
    assert form.errors["notebook"] == [MESSAGES["notebook_not_jupyter"]]


def test_a_json_file_must_have_zeppelin_paragraphs(user: Any, release: Any) -> None:
    form = new_form(user, release, upload=notebook_upload("note.json", content=notebook_bytes()))
    assert form.errors["notebook"] == [MESSAGES["notebook_not_zeppelin"]]


class UnreadableUpload(SimpleUploadedFile):
    """An upload whose content must not be read: only its size is looked at."""

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("an oversized upload was read")


def test_a_notebook_over_the_size_limit_is_refused_without_being_read(
    user: Any, release: Any, settings: Any
) -> None:
    settings.ATMO_MAX_NOTEBOOK_BYTES = 1024
    upload = UnreadableUpload("big.ipynb", b"x" * 2048)
    form = new_form(user, release, upload=upload)
    assert form.errors["notebook"] == [
        MESSAGES["notebook_too_large"] % {"size": "2.0\xa0KB", "limit": "1.0\xa0KB"}
    ]


def test_a_notebook_of_exactly_the_limit_is_accepted(user: Any, release: Any, settings: Any) -> None:
    content = notebook_bytes()
    settings.ATMO_MAX_NOTEBOOK_BYTES = len(content)
    assert new_form(user, release, upload=notebook_upload(content=content)).is_valid()


@pytest.mark.parametrize(("size", "message"), [(0, "at least 1 node"), (31, "at most 30 nodes")])
def test_the_cluster_size_is_bounded(user: Any, release: Any, size: int, message: str) -> None:
    assert message in new_form(user, release, size=size).errors["size"][0]


@pytest.mark.parametrize(("timeout", "message"), [(0, "at least 1 hour"), (25, "at most 24 hours")])
def test_the_timeout_is_one_to_twenty_four_hours(user: Any, release: Any, timeout: int, message: str) -> None:
    assert message in new_form(user, release, job_timeout=timeout).errors["job_timeout"][0]


def test_the_interval_must_be_one_of_the_choices(user: Any, release: Any) -> None:
    assert "interval_in_hours" in new_form(user, release, interval_in_hours=12).errors


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01 10:00", "01/02/2030 10:00"])
def test_a_date_in_another_format_is_refused(user: Any, release: Any, value: str) -> None:
    assert new_form(user, release, start_date=value).errors["start_date"] == [MESSAGES["date_invalid"]]


def test_a_new_job_cannot_start_in_the_past(user: Any, release: Any) -> None:
    past = (timezone.now() - timedelta(minutes=5)).strftime(FORMAT)
    assert new_form(user, release, start_date=past).errors["start_date"] == [MESSAGES["start_in_past"]]


@pytest.mark.parametrize("hours", [0, -2])
def test_the_end_date_must_come_after_the_start_date(user: Any, release: Any, hours: int) -> None:
    start = timezone.now() + timedelta(days=1)
    form = new_form(
        user,
        release,
        start_date=start.strftime(FORMAT),
        end_date=(start + timedelta(hours=hours)).strftime(FORMAT),
    )
    assert form.errors["end_date"] == [MESSAGES["end_before_start"]]


def test_the_emr_release_is_required_on_the_new_form(user: Any, release: Any) -> None:
    assert "emr_release" in new_form(user, release, emr_release="").errors


# --- Saving when S3 refuses --------------------------------------------------------------


def test_a_refused_upload_saves_nothing_and_says_why(user: Any, release: Any) -> None:
    form = new_form(user, release)
    assert form.is_valid()
    refusal = AWSError("Access Denied", code="AccessDenied")
    with (
        mock.patch.object(SparkJobProvisioner, "add", autospec=True, side_effect=refusal),
        pytest.raises(AWSError),
    ):
        form.save()
    assert not SparkJob.objects.exists()
    assert form.non_field_errors() == [
        "The notebook could not be stored: Access Denied. Nothing was saved; please try again."
    ]


def test_a_refused_upload_can_be_resubmitted_from_the_cache_without_the_file(
    user: Any, release: Any, add: mock.MagicMock
) -> None:
    token = uuid.uuid4().hex  # the hidden field the page renders and the browser posts back
    data = {**new_data(release), "new-notebook-cache": token}
    first = NewSparkJobForm(user, data=data, files={"new-notebook": notebook_upload()})
    assert first.is_valid()
    add.side_effect = AWSError("Slow down")
    with pytest.raises(AWSError):
        first.save()

    add.side_effect = key_for
    again = NewSparkJobForm(user, data=data, files={})
    assert again.is_valid(), again.errors
    job = again.save()
    assert job.notebook_s3_key == "jobs/weekly-report/report.ipynb"
    assert add.call_args.args[2].read() == notebook_bytes()


# --- Editing -------------------------------------------------------------------------------


@pytest.fixture
def job(user: Any, release: Any) -> SparkJob:
    return make_job(user, emr_release=release, start_date=timezone.now() - timedelta(days=3, seconds=17))


def test_the_identifier_cannot_be_changed(user: Any, job: SparkJob) -> None:
    form = EditSparkJobForm(user, data=edit_data(job, identifier="renamed"), instance=job)
    assert form.is_valid(), form.errors
    assert form.save().identifier == "daily-report"


def test_editing_without_a_new_notebook_keeps_the_current_one(
    user: Any, job: SparkJob, add: mock.MagicMock, remove: mock.MagicMock
) -> None:
    form = EditSparkJobForm(user, data=edit_data(job, description="New words."), instance=job)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.description == "New words."
    assert saved.notebook_s3_key == "jobs/daily-report/report.ipynb"
    add.assert_not_called()
    remove.assert_not_called()


def test_an_unchanged_start_date_in_the_past_is_kept_to_the_second(user: Any, job: SparkJob) -> None:
    form = EditSparkJobForm(user, data=edit_data(job), instance=job)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start_date"] == job.start_date


def test_the_start_date_can_only_move_to_the_future(user: Any, job: SparkJob) -> None:
    earlier = (job.start_date - timedelta(days=1)).strftime(FORMAT)
    form = EditSparkJobForm(user, data=edit_data(job, start_date=earlier), instance=job)
    assert form.errors["start_date"] == [MESSAGES["start_moved_to_past"]]
    later = (timezone.now() + timedelta(days=1)).strftime(FORMAT)
    assert EditSparkJobForm(user, data=edit_data(job, start_date=later), instance=job).is_valid()


def test_a_notebook_of_another_name_replaces_and_removes_the_old_object(
    user: Any, job: SparkJob, add: mock.MagicMock, remove: mock.MagicMock
) -> None:
    files = {"edit-notebook": notebook_upload("renamed.ipynb")}
    form = EditSparkJobForm(user, data=edit_data(job), files=files, instance=job)
    assert form.is_valid(), form.errors
    assert form.save().notebook_s3_key == "jobs/daily-report/renamed.ipynb"
    remove.assert_called_once_with(mock.ANY, "jobs/daily-report/report.ipynb")


def test_a_notebook_of_the_same_name_overwrites_and_removes_nothing(
    user: Any, job: SparkJob, add: mock.MagicMock, remove: mock.MagicMock
) -> None:
    files = {"edit-notebook": notebook_upload("report.ipynb")}
    form = EditSparkJobForm(user, data=edit_data(job), files=files, instance=job)
    assert form.is_valid(), form.errors
    form.save()
    add.assert_called_once()
    remove.assert_not_called()


def test_a_failed_removal_of_the_old_notebook_does_not_undo_the_edit(
    user: Any, job: SparkJob, add: mock.MagicMock
) -> None:
    files = {"edit-notebook": notebook_upload("renamed.ipynb")}
    form = EditSparkJobForm(user, data=edit_data(job), files=files, instance=job)
    assert form.is_valid()
    with mock.patch.object(SparkJobProvisioner, "remove", autospec=True, side_effect=AWSError("Denied")):
        form.save()
    job.refresh_from_db()
    assert job.notebook_s3_key == "jobs/daily-report/renamed.ipynb"


def test_the_edit_form_has_no_emr_release_and_shows_the_current_notebook(user: Any, job: SparkJob) -> None:
    form = EditSparkJobForm(user, instance=job)
    assert "emr_release" not in form.fields
    assert "<strong>report.ipynb</strong>" in form.fields["notebook"].help_text
    assert form.fields["identifier"].disabled


def test_another_users_job_cannot_be_edited_through_the_form(user: Any, user2: Any, job: SparkJob) -> None:
    form = EditSparkJobForm(user2, data=edit_data(job), instance=job)
    assert form.non_field_errors() == ["Access denied to the data of another user."]
