"""The buckets ATMO needs, the objects the provisioners point EMR at, and the public bucket's policy."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from atmo.localdev.aws.config import Buckets


def _placeholder_script(purpose: str) -> bytes:
    return (
        "#!/bin/bash\n"
        f"# Local stand-in for the {purpose}.\n"
        "# The local AWS emulator (atmo.localdev.aws) never runs it: it only has to exist\n"
        "# because the provisioners pass its S3 URI to EMR.\n"
        "exit 0\n"
    ).encode()


SPARK_EMR_SEED: dict[str, bytes] = {
    "configuration/configuration.json": json.dumps(
        [{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}],
        indent=2,
    ).encode(),
    "bootstrap/telemetry.sh": _placeholder_script("cluster bootstrap action"),
    "steps/zeppelin/zeppelin.sh": _placeholder_script("Zeppelin set-up step"),
    "steps/batch.sh": _placeholder_script("batch script that runs a scheduled job's notebook"),
}


def create_buckets(s3: Any, buckets: Buckets, region: str) -> None:
    """Create every bucket in ``region``; buckets that already exist are kept."""
    # Outside us-east-1, S3 (and moto) insist on an explicit LocationConstraint.
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    for name in buckets.names():
        with suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=name, **location)


def seed_spark_emr_bucket(s3: Any, bucket: str) -> None:
    """Put the configuration JSON and placeholder scripts the provisioners refer to."""
    for key, body in SPARK_EMR_SEED.items():
        is_json = key.endswith(".json")
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json" if is_json else "text/x-shellscript",
            # The configuration is fetched by a plain HTTP GET, as from the real public bucket.
            ACL="public-read" if is_json else "private",
        )


def allow_public_reads(s3: Any, bucket: str) -> None:
    """Let anyone read the objects of ``bucket``, as the public data bucket's policy does in AWS.

    moto creates every bucket private and enforces that on anonymous requests, so
    without this policy a public result link (``ATMO_PUBLIC_DATA_URL`` + key) would
    answer 403 in a local run.
    """
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadForGetBucketObjects",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
