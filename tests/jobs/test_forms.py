from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from guardian.shortcuts import get_groups_with_perms, get_user_perms

from atmo.clusters.forms import IDENTIFIER_MESSAGE
from atmo.clusters.models import max_cluster_size
from atmo.jobs.forms import MESSAGES, BaseSparkJobForm, EditSparkJobForm, NewSparkJobForm
from atmo.jobs.models import SparkJob
from atmo.jobs.provisioners import SparkJobProvisioner
from atmo.provisioners import AWSError
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.conftest import ZEPPELIN_NOTE, notebook_bytes, notebook_upload
from tests.jobs.factories import SparkJobFactory
from tests.jobs.helpers import committed
from tests.jobs.pages import FORMAT, edit_post

pytestmark = pytest.mark.django_db


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
    assert job.schedule.next_slot() == job.start_date


def test_a_new_job_gives_object_permissions_to_its_owner_only(
    user: Any, release: Any, add: mock.MagicMock
) -> None:
    form = new_form(user, release)
    assert form.is_valid()
    job = form.save()
    # The maintainers see it through their group's model-level permission, not a grant of their own.
    assert not get_groups_with_perms(job)
    assert {"view_sparkjob", "change_sparkjob", "delete_sparkjob"} <= set(get_user_perms(user, job))


def test_a_zeppelin_note_is_accepted(user: Any, release: Any, add: mock.MagicMock) -> None:
    form = new_form(user, release, upload=notebook_upload("note.json"))
    assert form.is_valid(), form.errors
    assert form.save().notebook_s3_key == "jobs/weekly-report/note.json"


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
    SparkJobFactory(created_by=user2, identifier="weekly-report")
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


def jupyter_document(*cells: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 4, "metadata": metadata, "cells": list(cells)}


def code_cell(source: str) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "source": source, "outputs": []}


@pytest.mark.parametrize(
    "document",
    [
        {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code"}]},
        {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "spreadsheet"}]},
        {"nbformat": 4, "worksheets": 7},
        {"nbformat": 4, "nbformat_minor": 4, "metadata": 7, "cells": []},
    ],
)
def test_a_file_that_nbformat_does_not_validate_is_refused_saying_so(
    user: Any, release: Any, document: Any
) -> None:
    form = new_form(user, release, upload=notebook_upload(content=notebook_bytes(document)))
    [error] = form.errors["notebook"]
    assert error.startswith("This file is not a valid Jupyter notebook (")
    assert error.endswith("Save it again from Jupyter and upload that copy.")


@pytest.mark.parametrize(
    "cells",
    [
        [],
        [{"cell_type": "markdown", "metadata": {}, "source": "# Only words"}],
        [code_cell("   \n")],
    ],
)
def test_a_notebook_without_code_is_refused(user: Any, release: Any, cells: list[Any]) -> None:
    content = notebook_bytes(jupyter_document(*cells))
    form = new_form(user, release, upload=notebook_upload(content=content))
    assert form.errors["notebook"] == ["The notebook has no code cell: there is nothing to run."]


@pytest.mark.parametrize(
    "metadata, language",
    [
        ({"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}, "R"),
        ({"language_info": {"name": "scala"}}, "scala"),
    ],
)
def test_a_notebook_for_another_kernel_than_python_is_refused(
    user: Any, release: Any, metadata: dict[str, Any], language: str
) -> None:
    content = notebook_bytes(jupyter_document(code_cell("1 + 1"), **metadata))
    form = new_form(user, release, upload=notebook_upload(content=content))
    [error] = form.errors["notebook"]
    assert error.startswith(
        f"The notebook's kernel runs {language}, but ATMO runs Python (PySpark) notebooks"
    )


def test_an_older_python_notebook_is_accepted(user: Any, release: Any) -> None:
    cell = {"cell_type": "code", "input": "1 + 1", "language": "python", "outputs": [], "metadata": {}}
    document = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [cell]}]}
    form = new_form(user, release, upload=notebook_upload(content=notebook_bytes(document)))
    assert form.is_valid(), form.errors


def test_a_zeppelin_paragraph_in_an_unsupported_interpreter_is_refused_by_name(
    user: Any, release: Any
) -> None:
    note = {
        "paragraphs": [
            {"text": "%md\n# Intro"},
            {"text": "%pyspark\ndf = spark.range(3)"},
            {"title": "Plot it", "text": "%spark.r\nplot(df)"},
            {"text": "%sh\nls"},
        ]
    }
    form = new_form(user, release, upload=notebook_upload("note.json", content=notebook_bytes(note)))
    assert form.errors["notebook"] == [
        'The %spark.r interpreter of paragraph 3 ("Plot it") is not supported: ATMO runs '
        "Python/PySpark (%pyspark, %python), SQL (%sql) and Markdown (%md) paragraphs."
    ]


@pytest.mark.parametrize(
    "paragraphs",
    [
        [{"text": "%md\nOnly words"}],
        [],
    ],
)
def test_a_zeppelin_note_without_code_is_refused(user: Any, release: Any, paragraphs: list[Any]) -> None:
    content = notebook_bytes({"paragraphs": paragraphs})
    form = new_form(user, release, upload=notebook_upload("note.json", content=content))
    assert form.errors["notebook"] == [
        "The note has no PySpark, Python or SQL paragraph: there is nothing to run."
    ]


@pytest.mark.parametrize(
    "note, error",
    [
        ({"paragraphs": 7}, MESSAGES["notebook_not_zeppelin"]),
        ({"paragraphs": [7]}, "Paragraph 1 of the note is not a paragraph object."),
        ({"paragraphs": [{"text": ["%pyspark"]}]}, "The text or title of paragraph 1 is not a string."),
    ],
)
def test_a_zeppelin_note_of_the_wrong_shape_is_refused(
    user: Any, release: Any, note: Any, error: str
) -> None:
    form = new_form(user, release, upload=notebook_upload("note.json", content=notebook_bytes(note)))
    assert form.errors["notebook"] == [error]


def test_a_zeppelin_note_of_pyspark_sql_and_markdown_is_accepted(user: Any, release: Any) -> None:
    note = {
        "paragraphs": [
            {"text": "%md\n# Intro"},
            {"text": "%spark.pyspark\nspark.range(3).createOrReplaceTempView('t')"},
            {"text": "%sql\nSELECT count(*) FROM t"},
            {"text": "print('no interpreter line: PySpark')"},
            {"text": ""},
        ]
    }
    form = new_form(user, release, upload=notebook_upload("note.json", content=notebook_bytes(note)))
    assert form.is_valid(), form.errors


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


def test_an_empty_identifier_asks_for_one(user: Any, release: Any) -> None:
    assert new_form(user, release, identifier="").errors["identifier"] == [MESSAGES["identifier_required"]]


def test_an_identifier_of_100_characters_is_accepted(user: Any, release: Any, add: mock.MagicMock) -> None:
    form = new_form(user, release, identifier="a" * 100)
    assert form.is_valid(), form.errors
    assert form.save().identifier == "a" * 100


def test_an_inactive_emr_release_is_refused_on_the_new_form(user: Any, release: Any) -> None:
    retired = EMRReleaseFactory(version="5.30.0", is_active=False)
    assert "emr_release" in new_form(user, release, emr_release=retired.pk).errors


# --- Both forms: the limits they share --------------------------------------------------


@pytest.fixture(params=["new", "edit"])
def job_form(request: Any, user: Any, release: Any) -> Callable[..., BaseSparkJobForm]:
    """``job_form(**fields)``: the new-job form, or the edit form of a job, with ``fields`` posted."""
    if request.param == "new":
        return lambda **fields: new_form(user, release, **fields)
    job = request.getfixturevalue("job")
    return lambda **fields: EditSparkJobForm(user, data=edit_post(job, **fields), instance=job)


@pytest.mark.parametrize("above_the_minimum", [False, True])
def test_a_size_of_one_or_the_maximum_is_accepted(job_form: Any, above_the_minimum: bool) -> None:
    size = max_cluster_size() if above_the_minimum else 1
    form = job_form(size=size)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["size"] == size


def test_a_size_outside_one_to_the_maximum_is_refused(job_form: Any) -> None:
    limit = max_cluster_size()
    assert job_form(size=0).errors["size"] == ["A job runs on at least 1 node."]
    assert job_form(size=limit + 1).errors["size"] == [f"A job runs on at most {limit} nodes."]


def test_the_size_cap_follows_the_setting(job_form: Any, settings: Any) -> None:
    settings.AWS_CONFIG = {**settings.AWS_CONFIG, "MAX_CLUSTER_SIZE": 5}
    assert job_form(size=5).is_valid()
    refused = job_form(size=6)
    assert refused.errors["size"] == ["A job runs on at most 5 nodes."]
    assert refused.fields["size"].widget.attrs["max"] == 5
    assert refused.fields["size"].help_text == "Number of nodes, between 1 and 5."


@pytest.mark.parametrize("timeout", [1, 24])
def test_a_timeout_of_one_to_twenty_four_hours_is_accepted(job_form: Any, timeout: int) -> None:
    form = job_form(job_timeout=timeout)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["job_timeout"] == timeout


@pytest.mark.parametrize(("timeout", "message"), [(0, "at least 1 hour"), (25, "at most 24 hours")])
def test_a_timeout_outside_one_to_twenty_four_hours_is_refused(
    job_form: Any, timeout: int, message: str
) -> None:
    assert message in job_form(job_timeout=timeout).errors["job_timeout"][0]


@pytest.mark.parametrize("visibility", ["", "everyone"])
def test_the_result_visibility_must_be_private_or_public(job_form: Any, visibility: str) -> None:
    assert "result_visibility" in job_form(result_visibility=visibility).errors


def test_the_start_date_is_required(job_form: Any) -> None:
    assert job_form(start_date="").errors["start_date"] == [MESSAGES["start_required"]]


@pytest.mark.parametrize("hours", [0, -2])
def test_the_end_date_must_come_after_the_start_date_on_both_forms(job_form: Any, hours: int) -> None:
    start = timezone.now() + timedelta(days=1)
    end = start + timedelta(hours=hours)
    form = job_form(start_date=start.strftime(FORMAT), end_date=end.strftime(FORMAT))
    assert form.errors["end_date"] == [MESSAGES["end_before_start"]]


def test_an_edit_keeping_the_start_date_still_needs_the_end_after_it(user: Any, job: SparkJob) -> None:
    end = (job.start_date - timedelta(hours=1)).strftime(FORMAT)
    form = EditSparkJobForm(user, data=edit_post(job, end_date=end), instance=job)
    assert form.errors["end_date"] == [MESSAGES["end_before_start"]]
    assert "start_date" not in form.errors


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
        "The notebook could not be stored: AWS refused (Access Denied). Nothing was saved. "
        "Please try again, and tell the ATMO team if it keeps failing."
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
    return SparkJobFactory(
        created_by=user, emr_release=release, start_date=timezone.now() - timedelta(days=3, seconds=17)
    )


def test_the_identifier_cannot_be_changed(user: Any, job: SparkJob) -> None:
    form = EditSparkJobForm(user, data=edit_post(job, identifier="renamed"), instance=job)
    assert form.is_valid(), form.errors
    assert form.save().identifier == "daily-report"


def test_editing_without_a_new_notebook_keeps_the_current_one(
    user: Any, job: SparkJob, add: mock.MagicMock, remove: mock.MagicMock
) -> None:
    form = EditSparkJobForm(user, data=edit_post(job, description="New words."), instance=job)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.description == "New words."
    assert saved.notebook_s3_key == "jobs/daily-report/report.ipynb"
    add.assert_not_called()
    remove.assert_not_called()


def test_an_unchanged_start_date_in_the_past_is_kept_to_the_second(user: Any, job: SparkJob) -> None:
    form = EditSparkJobForm(user, data=edit_post(job), instance=job)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start_date"] == job.start_date


def test_the_start_date_can_only_move_to_the_future(user: Any, job: SparkJob) -> None:
    earlier = (job.start_date - timedelta(days=1)).strftime(FORMAT)
    form = EditSparkJobForm(user, data=edit_post(job, start_date=earlier), instance=job)
    assert form.errors["start_date"] == [MESSAGES["start_moved_to_past"]]
    later = (timezone.now() + timedelta(days=1)).strftime(FORMAT)
    assert EditSparkJobForm(user, data=edit_post(job, start_date=later), instance=job).is_valid()


def test_a_notebook_of_another_name_replaces_and_removes_the_old_object(
    user: Any, job: SparkJob, add: mock.MagicMock, remove: mock.MagicMock
) -> None:
    files = {"edit-notebook": notebook_upload("renamed.ipynb")}
    form = EditSparkJobForm(user, data=edit_post(job), files=files, instance=job)
    assert form.is_valid(), form.errors
    assert form.save().notebook_s3_key == "jobs/daily-report/renamed.ipynb"
    remove.assert_called_once_with(mock.ANY, "jobs/daily-report/report.ipynb")


def test_a_notebook_of_the_same_name_overwrites_and_removes_nothing(
    user: Any, job: SparkJob, add: mock.MagicMock, remove: mock.MagicMock
) -> None:
    files = {"edit-notebook": notebook_upload("report.ipynb")}
    form = EditSparkJobForm(user, data=edit_post(job), files=files, instance=job)
    assert form.is_valid(), form.errors
    form.save()
    add.assert_called_once()
    remove.assert_not_called()


def test_a_failed_removal_of_the_old_notebook_does_not_undo_the_edit(
    user: Any, job: SparkJob, add: mock.MagicMock
) -> None:
    files = {"edit-notebook": notebook_upload("renamed.ipynb")}
    form = EditSparkJobForm(user, data=edit_post(job), files=files, instance=job)
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
    form = EditSparkJobForm(user2, data=edit_post(job), instance=job)
    assert form.non_field_errors() == ["Access denied to the data of another user."]
