"""SHA256 fingerprints instead of MD5, and titles unique per user.

Existing keys get their SHA256 fingerprint, and a title its owner already used
(compared without case) gets " (2)", " (3)"… so the constraint can be added.
"""

import base64
import hashlib

import django.db.models.functions.text
from django.db import migrations, models

TITLE_MAX_LENGTH = 100


def sha256_fingerprint(key: str) -> str:
    # Written out here, not imported: a migration must keep meaning what it meant.
    digest = hashlib.sha256(base64.b64decode(key.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def unique_title(title: str, taken: set[str]) -> str:
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = title[: TITLE_MAX_LENGTH - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        number += 1


def forwards(apps, schema_editor):
    SSHKey = apps.get_model("keys", "SSHKey")
    taken: dict[int, set[str]] = {}
    for ssh_key in SSHKey.objects.order_by("created_by_id", "created_at", "pk").iterator():
        titles = taken.setdefault(ssh_key.created_by_id, set())
        ssh_key.fingerprint = sha256_fingerprint(ssh_key.key)
        if ssh_key.title.lower() in titles:
            ssh_key.title = unique_title(ssh_key.title, titles)
        titles.add(ssh_key.title.lower())
        ssh_key.save(update_fields=["fingerprint", "title"])


def backwards(apps, schema_editor):
    SSHKey = apps.get_model("keys", "SSHKey")
    for ssh_key in SSHKey.objects.iterator():
        digest = hashlib.md5(base64.b64decode(ssh_key.key.split()[1]), usedforsecurity=False).hexdigest()
        ssh_key.fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
        ssh_key.save(update_fields=["fingerprint"])


class Migration(migrations.Migration):
    dependencies = [
        ("keys", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sshkey",
            name="fingerprint",
            field=models.CharField(
                blank=True, help_text="The key's SHA256 fingerprint, as ssh-keygen -l prints it.", max_length=64
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
        migrations.AddConstraint(
            model_name="sshkey",
            constraint=models.UniqueConstraint(
                models.F("created_by"),
                django.db.models.functions.text.Lower("title"),
                name="unique_key_title_per_user",
                violation_error_message="You already have a key with this title.",
            ),
        ),
    ]
