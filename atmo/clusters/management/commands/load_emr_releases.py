"""``manage.py load_emr_releases [FILE]``: add missing EMR releases from JSON.

Existing releases are left alone, so re-running it never undoes an operator's
changes in the admin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atmo.clusters.models import EMRRelease

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "emr_releases.json"
FIELDS = ("changelog_url", "help_text", "is_active", "is_experimental", "is_deprecated")


class Command(BaseCommand):
    """Adds the releases of a JSON file that the database lacks."""

    help = "Add the EMR releases of a JSON list of {version, ...} objects that are missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            entries = json.loads(Path(options["file"]).read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read EMR releases from {options['file']}: {exc}") from exc
        for entry in entries:
            if "version" not in entry:
                raise CommandError(f"Entry without a version: {entry!r}")
            defaults = {field: entry[field] for field in FIELDS if field in entry}
            _, created = EMRRelease.objects.get_or_create(version=entry["version"], defaults=defaults)
            state = "added" if created else "already present:"
            self.stdout.write(f"{state} EMR release {entry['version']}")
