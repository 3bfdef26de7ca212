"""Who may see a Spark job besides its owner, and cleaning up after a deleted one.

The owner's view/change/delete permissions come from ``CreatedByModel.save``.
Members of the maintainers group (``settings.SPARK_JOB_MAINTAINERS_GROUP``)
help users debug their jobs: they may look at every job, never change one.
Both calls are made explicitly where jobs are created and deleted; no signal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm

from atmo.jobs.models import SparkJob

VIEW_PERMISSION = "jobs.view_sparkjob"


def maintainers_group() -> Group:
    # A data migration creates it; get_or_create keeps a renamed setting working.
    group, _ = Group.objects.get_or_create(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    return group


def is_maintainer(user: Any) -> bool:
    """Membership of the group only: superusers are not maintainers by status."""
    return user.is_authenticated and user.groups.filter(name=settings.SPARK_JOB_MAINTAINERS_GROUP).exists()


def share_with_maintainers(spark_job: SparkJob) -> None:
    """Let the maintainers view (detail, download, Zeppelin output) a new job."""
    assign_perm(VIEW_PERMISSION, maintainers_group(), spark_job)


def forget_permissions(spark_job_pk: int) -> None:
    """Drop every object permission row of a deleted job.

    guardian's rows point at the object by a string key, so nothing cascades;
    a leftover row would be a dangling grant for whatever reuses the key.
    """
    content_type = ContentType.objects.get_for_model(SparkJob)
    for model in (UserObjectPermission, GroupObjectPermission):
        model.objects.filter(content_type=content_type, object_pk=str(spark_job_pk)).delete()
