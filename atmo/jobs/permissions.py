"""Who may see a Spark job besides its owner, and cleaning up after a deleted one.

The owner's view/change/delete permissions come from ``CreatedByModel.save``.
Members of the maintainers group (``settings.SPARK_JOB_MAINTAINERS_GROUP``)
help users debug their jobs: they may look at every job, never change one. The
group holds the model-level ``jobs.view_sparkjob`` permission (a data migration
grants it), so that holds for every job however it was made: form, admin,
fixture or shell. An operator who takes the permission from the group in the
admin takes the look at other people's jobs away with it: no object permission
of the group opens a job (:func:`can_view` counts the user's own ones only).
Object permissions are made and dropped by the model itself when a job is created
and deleted (:class:`atmo.models.CreatedByModel`); no signal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from guardian.shortcuts import get_user_perms

from atmo.access import get_object_for, get_or_gone, model_permission
from atmo.jobs.models import SparkJob

VIEW_PERMISSION = "jobs.view_sparkjob"


def maintainers_view_every_job(user: Any) -> bool:
    """``user`` is a maintainer, and the group holds the model-level view permission."""
    app_label, codename = VIEW_PERMISSION.split(".")
    return (
        user.is_authenticated
        and user.is_active
        and Group.objects.filter(
            name=settings.SPARK_JOB_MAINTAINERS_GROUP,
            user=user,
            permissions__codename=codename,
            permissions__content_type__app_label=app_label,
        ).exists()
    )


def can_view(user: Any, spark_job: SparkJob) -> bool:
    """Whether ``user`` may see the job: its owner, an active superuser, or a maintainer.

    "Owner" is the user's own view object permission. A group's object
    permission does not count: an operator revokes the maintainers' look at
    every job by taking the model-level permission from their group, and a
    leftover per-job grant must not keep it open.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    codename = VIEW_PERMISSION.split(".")[1]
    return codename in get_user_perms(user, spark_job) or maintainers_view_every_job(user)


def get_job_for(
    request: HttpRequest, spark_job_id: int, action: str, jobs: QuerySet[SparkJob] | None = None
) -> SparkJob:
    """The job, with its owner and release, if the user may ``action`` (view, change, delete) it.

    404 when it does not exist, 403 when the user may not. Viewing is
    :func:`can_view` (maintainers too); changing and deleting need the object
    permission. ``jobs`` narrows or extends the query (e.g. ``with_latest_run()``).
    """
    jobs = (SparkJob.objects.all() if jobs is None else jobs).select_related("created_by", "emr_release")
    if action != "view":
        return get_object_for(request, jobs, model_permission(SparkJob, action), pk=spark_job_id)
    spark_job = get_or_gone(request, jobs, pk=spark_job_id)
    if not can_view(request.user, spark_job):
        raise PermissionDenied("You do not have access to this Spark job.")
    return spark_job
