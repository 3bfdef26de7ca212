"""The buckets ATMO needs, the objects the provisioners point EMR at, and the public bucket's policy."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from atmo.cluster_code import publish
from localdev.aws.config import Buckets

#: What the Spark EMR bucket holds besides the published ``emr/`` folder.
SPARK_EMR_SEED: dict[str, bytes] = {
    "configuration/configuration.json": json.dumps(
        [{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}],
        indent=2,
    ).encode(),
}


def create_buckets(s3: Any, buckets: Buckets, region: str) -> None:
    """Create every bucket in ``region``; buckets that already exist are kept."""
    # Outside us-east-1, S3 (and moto) insist on an explicit LocationConstraint.
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    for name in buckets.names():
        with suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=name, **location)


def seed_spark_emr_bucket(s3: Any, bucket: str) -> None:
    """Put the configuration JSON there, and publish ``emr/`` as ``manage.py publish_emr_code`` does."""
    for key, body in SPARK_EMR_SEED.items():
        # The configuration is fetched by a plain HTTP GET, as from the real public bucket.
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", ACL="public-read")
    publish(s3, bucket)


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
