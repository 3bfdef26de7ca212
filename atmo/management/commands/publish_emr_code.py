"""``manage.py publish_emr_code [--bucket B] [--dry-run]``: put ``emr/`` where the clusters fetch it.

Publishes the bootstrap action, the Zeppelin and batch steps and the notebook
runner to the Spark EMR bucket (the live setting ``AWS_SPARK_EMR_BUCKET`` unless
``--bucket`` names another), with the credentials and region boto3 finds.
Unchanged files are not uploaded again: running it twice is safe.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from constance import config as live
from django.core.management.base import BaseCommand, CommandError, CommandParser

from atmo.cluster_code import publish
from atmo.provisioners import client


class Command(BaseCommand):
    """Uploads what changed in emr/ to the Spark EMR bucket and says what it did."""

    help = "Publish emr/ (bootstrap action, steps, notebook runner) to the Spark EMR bucket."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bucket", help="default: the live setting AWS_SPARK_EMR_BUCKET")
        parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        bucket = options["bucket"] or live.AWS_SPARK_EMR_BUCKET
        try:
            publication = publish(client("s3"), bucket, dry_run=options["dry_run"])
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"Could not publish to s3://{bucket}/: {exc}") from exc
        verb = "would upload" if options["dry_run"] else "uploaded"
        for key in publication.uploaded:
            self.stdout.write(f"{verb} s3://{bucket}/{key}")
        for key in publication.removed:
            self.stdout.write(f"{'would remove' if options['dry_run'] else 'removed'} s3://{bucket}/{key}")
        self.stdout.write(
            f"{len(publication.uploaded)} {verb}, {len(publication.unchanged)} unchanged, "
            f"{len(publication.removed)} removed, in s3://{bucket}/"
        )
