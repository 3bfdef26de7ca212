"""The job form's parameter table: named, typed parameters with defaults, checked, nothing lost on error."""

from __future__ import annotations

from typing import Any

import pytest

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.pages import edit_post, parameter_rows, url

pytestmark = pytest.mark.django_db

PARAMETERS = [
    {"name": "country", "type": "text", "default": "DE"},
    {"name": "limit", "type": "integer", "default": 10},
    {"name": "dry_run", "type": "boolean", "default": False},
]


def post_rows(job: SparkJob, names: list[str], types: list[str], defaults: list[str]) -> dict[str, Any]:
    post = edit_post(job)
    post.update(
        {"edit-parameters-name": names, "edit-parameters-type": types, "edit-parameters-default": defaults}
    )
    return post


def test_the_form_shows_each_parameter_and_blank_rows_to_add_more(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    spark_job.parameters = PARAMETERS
    spark_job.save()
    page = client_for(owner).get(url("edit", spark_job)).content.decode()
    assert page.count('name="edit-parameters-name"') == 3 + 3
    assert 'name="edit-parameters-name" value="limit"' in page
    assert 'name="edit-parameters-default" value="10"' in page
    assert 'name="edit-parameters-default" value="false"' in page
    assert '<option value="boolean" selected>True/false</option>' in page


def test_parameters_are_saved_typed_and_blank_rows_ignored(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    post = post_rows(
        spark_job,
        ["country", "limit", "sample", "since", "dry_run", ""],
        ["text", "integer", "number", "date", "boolean", "text"],
        ["FR", "25", "0.5", "2026-12-01", "yes", ""],
    )
    response = client_for(owner).post(url("edit", spark_job), post)
    assert response.status_code == 302
    spark_job.refresh_from_db()
    assert spark_job.parameters == [
        {"name": "country", "type": "text", "default": "FR"},
        {"name": "limit", "type": "integer", "default": 25},
        {"name": "sample", "type": "number", "default": 0.5},
        {"name": "since", "type": "date", "default": "2026-12-01"},
        {"name": "dry_run", "type": "boolean", "default": True},
    ]


def test_clearing_a_row_removes_the_parameter(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    spark_job.parameters = PARAMETERS
    spark_job.save()
    post = edit_post(spark_job)
    post.update({f"edit-{key}": value for key, value in parameter_rows(PARAMETERS).items()})
    post["edit-parameters-name"] = ["country", "", "dry_run"]
    post["edit-parameters-default"] = ["DE", "", "false"]
    assert client_for(owner).post(url("edit", spark_job), post).status_code == 302
    spark_job.refresh_from_db()
    assert [row["name"] for row in spark_job.parameters] == ["country", "dry_run"]


@pytest.mark.parametrize(
    ("names", "types", "defaults", "message"),
    [
        (["my-limit"], ["integer"], ["3"], "“my-limit” is not a valid Python name"),
        (["limit", "limit"], ["integer", "text"], ["3", "x"], "“limit” is declared twice."),
        (["limit"], ["integer"], ["three"], "The default of “limit”: “three” is not a whole number."),
        (["since"], ["date"], ["tomorrow"], "The default of “since”: “tomorrow” is not a date (YYYY-MM-DD)."),
        (["run_date"], ["date"], ["2026-01-01"], "“run_date” is set by ATMO for every run"),
        ([""], ["text"], ["orphan"], "A parameter needs a name."),
        (["limit"], ["colour"], ["3"], "“colour” is not a parameter type"),
    ],
)
def test_bad_parameters_are_explained_and_what_was_typed_is_kept(
    client_for: Any,
    owner: Any,
    spark_job: SparkJob,
    aws: AWSStubs,
    names: list[str],
    types: list[str],
    defaults: list[str],
    message: str,
) -> None:
    post = post_rows(spark_job, names, types, defaults)
    response = client_for(owner).post(url("edit", spark_job), post)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    for name, default in zip(names, defaults, strict=True):
        assert f'name="edit-parameters-name" value="{name}"' in page
        assert f'name="edit-parameters-default" value="{default}"' in page
    spark_job.refresh_from_db()
    assert spark_job.parameters == []
