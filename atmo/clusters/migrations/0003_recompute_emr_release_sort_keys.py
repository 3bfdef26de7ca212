"""Recompute every EMR release's sort key.

The key now ranks a pre-release ("6.0.0-beta") below its final release, and
rows made by ``bulk_create`` before the queryset filled the key had none.
"""

from django.db import migrations

from atmo.lib.versions import version_sort_key


def recompute_sort_keys(apps, schema_editor):
    EMRRelease = apps.get_model("clusters", "EMRRelease")
    releases = list(EMRRelease.objects.all())
    for release in releases:
        release.sort_key = version_sort_key(release.version)
    EMRRelease.objects.bulk_update(releases, ["sort_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0002_cluster"),
    ]

    operations = [
        # Going back keeps the new keys: they sort correctly with the old code too.
        migrations.RunPython(recompute_sort_keys, migrations.RunPython.noop),
    ]
