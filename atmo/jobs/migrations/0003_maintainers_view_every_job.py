"""The Spark job maintainers group may view every job (model-level permission).

Object permissions only reached the jobs made through the new-job form; the
dashboard's "all" view lists every job. Run once: an operator who later takes
the permission from the group in the admin keeps it that way.
"""

from django.conf import settings
from django.db import migrations

CODENAME = "view_sparkjob"


def view_permission(apps):
    # On a new database the permission rows are only made after all migrations
    # (post_migrate); make this one now, as Django would name it.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="jobs", model="sparkjob")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": "Can view spark job"}
    )
    return permission


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    group.permissions.add(view_permission(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=settings.SPARK_JOB_MAINTAINERS_GROUP):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="jobs", codename=CODENAME))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_sparkjobrun_timeout_mail_sent_at"),
        ("users", "0001_spark_job_maintainers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
