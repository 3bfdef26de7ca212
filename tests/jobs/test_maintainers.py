"""Maintainers look at every job through their group's model-level permission, and only look.

Nothing per job opens a job to the group: taking ``jobs.view_sparkjob`` from the
group in the admin closes every job to its members at once.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm, get_groups_with_perms, get_perms

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.conftest import maintainers_group, notebook_upload, stub_listing, stub_notebook, stub_upload
from tests.jobs.pages import CHANGING, JOB_ROUTES, new_post, stub_detail, url

pytestmark = pytest.mark.django_db

#: The routes that only look at a job: maintainers may use them on every job.
LOOKS = [route for route in JOB_ROUTES if route[0] not in CHANGING]


def migration(name: str) -> Any:
    # Called directly: transactional tests empty the tables the migrations filled.
    return importlib.import_module(f"atmo.jobs.migrations.{name}")


def stub_look(aws: AWSStubs, job: SparkJob, action: str, method: str) -> None:
    """The S3 calls a look at one of the job's pages makes (a HEAD of the detail page makes none)."""
    if (action, method) == ("detail", "get"):
        stub_detail(aws, job)
    elif action == "download":
        stub_notebook(aws, job.notebook_s3_key)
    elif action == "zeppelin":
        stub_listing(aws, job.identifier, [])


def take_the_view_from_the_group() -> None:
    """What an operator does in the admin to end the maintainers' look at other people's jobs."""
    group = Group.objects.get(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    group.permissions.remove(Permission.objects.get(content_type__app_label="jobs", codename="view_sparkjob"))


@pytest.fixture
def form_made_job(client_for: Any, owner: Any, release: Any, aws: AWSStubs) -> SparkJob:
    """A job its owner scheduled on the new-job page."""
    stub_upload(aws, "jobs/weekly-report/report.ipynb")
    response = client_for(owner).post(
        reverse("jobs-new"), {**new_post(release), "new-notebook": notebook_upload()}
    )
    assert response.status_code == 302
    return SparkJob.objects.get(identifier="weekly-report")


@pytest.fixture
def old_grant_job(spark_job: SparkJob) -> SparkJob:
    """A job that still has the per-job grant the new-job form used to give the group."""
    assign_perm("jobs.view_sparkjob", maintainers_group(), spark_job)
    return spark_job


@pytest.fixture(params=["spark_job", "form_made_job", "old_grant_job"])
def any_job(request: Any) -> SparkJob:
    """A job made in the admin or a shell, on the new-job page, or with the old per-job grant."""
    return request.getfixturevalue(request.param)


def test_a_new_job_gives_the_group_no_permission_of_its_own(form_made_job: SparkJob, owner: Any) -> None:
    assert not get_groups_with_perms(form_made_job)
    assert set(get_perms(owner, form_made_job)) == {"view_sparkjob", "change_sparkjob", "delete_sparkjob"}


@pytest.mark.parametrize(("action", "method"), LOOKS)
def test_maintainers_may_look_at_every_job(
    client_for: Any, any_job: SparkJob, maintainer: Any, aws: AWSStubs, action: str, method: str
) -> None:
    client = client_for(maintainer)
    stub_look(aws, any_job, action, method)
    assert getattr(client, method)(url(action, any_job)).status_code == 200


@pytest.mark.parametrize(("action", "method"), LOOKS)
def test_without_the_groups_permission_maintainers_may_look_at_no_job(
    client_for: Any, any_job: SparkJob, maintainer: Any, aws: AWSStubs, action: str, method: str
) -> None:
    take_the_view_from_the_group()
    # The aws fixture fails the test on any AWS call: nothing is even looked up.
    assert getattr(client_for(maintainer), method)(url(action, any_job)).status_code == 403


@pytest.mark.parametrize("group_may_view", [True, False])
@pytest.mark.parametrize(("action", "method"), [route for route in JOB_ROUTES if route[0] in CHANGING])
def test_maintainers_never_change_delete_or_run_a_job(
    client_for: Any,
    any_job: SparkJob,
    maintainer: Any,
    aws: AWSStubs,
    action: str,
    method: str,
    group_may_view: bool,
) -> None:
    if not group_may_view:
        take_the_view_from_the_group()
    response = getattr(client_for(maintainer), method)(url(action, any_job))
    assert response.status_code == 403
    assert SparkJob.objects.filter(pk=any_job.pk).exists()
    assert not any_job.runs.exists()


def test_maintainers_are_offered_no_run_edit_or_delete_button(
    client_for: Any, spark_job: SparkJob, maintainer: Any, aws: AWSStubs
) -> None:
    stub_detail(aws, spark_job)
    page = client_for(maintainer).get(url("detail", spark_job)).content.decode()
    for action in CHANGING:
        assert url(action, spark_job) not in page


def test_the_model_permission_outside_the_group_opens_no_job(
    client_for: Any, spark_job: SparkJob, stranger: Any, aws: AWSStubs
) -> None:
    stranger.user_permissions.add(
        Permission.objects.get(content_type__app_label="jobs", codename="view_sparkjob")
    )
    assert client_for(stranger).get(url("detail", spark_job)).status_code == 403


def test_superusers_may_look_at_every_job(
    client_for: Any, spark_job: SparkJob, stranger: Any, aws: AWSStubs
) -> None:
    stranger.is_superuser = True
    stranger.save()
    stub_detail(aws, spark_job)
    assert client_for(stranger).get(url("detail", spark_job)).status_code == 200


def test_the_data_migration_lets_the_maintainers_group_view_every_job(db: Any) -> None:
    grant = migration("0003_maintainers_view_every_job")
    Group.objects.filter(name=settings.SPARK_JOB_MAINTAINERS_GROUP).delete()
    grant.grant(django_apps, None)
    group = Group.objects.get(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("jobs", "view_sparkjob")
    ]
    grant.revoke(django_apps, None)
    assert not group.permissions.exists()


def test_the_data_migration_drops_the_groups_per_job_grants_only(old_grant_job: SparkJob, owner: Any) -> None:
    helpers = Group.objects.create(name="Helpers")
    assign_perm("jobs.view_sparkjob", helpers, old_grant_job)
    forget = migration("0004_forget_maintainers_object_permissions")

    forget.forget(django_apps, None)

    assert list(GroupObjectPermission.objects.values_list("group__name", flat=True)) == ["Helpers"]
    assert "view_sparkjob" in get_perms(owner, old_grant_job)  # the owner's own grants stay
    assert maintainers_group().permissions.filter(codename="view_sparkjob").exists()
    # Going back keeps them deleted: the model-level permission gives the same look.
    (operation,) = forget.Migration.operations
    assert operation.reversible and operation.reverse_code is operation.noop
