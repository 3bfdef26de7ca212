"""Drop the maintainers group's per-job view permissions.

The new-job form used to grant the group an object permission on each job it
made. Access now follows the group's model-level ``jobs.view_sparkjob`` only
(see ``atmo.jobs.permissions``), so those rows would only mislead whoever reads
a job's object permissions in the admin. Going back leaves them deleted: the
model-level permission gives the same access.
"""

from django.conf import settings
from django.db import migrations


def forget(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    content_type = ContentType.objects.filter(app_label="jobs", model="sparkjob").first()
    if content_type is None:  # a new database: no job, no row
        return
    GroupObjectPermission.objects.filter(
        content_type=content_type, group__name=settings.SPARK_JOB_MAINTAINERS_GROUP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0003_maintainers_view_every_job"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
