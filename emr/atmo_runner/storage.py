"""Where notebooks come from and outputs go: ``s3://bucket/key`` URIs, or local paths (tests, dry runs)."""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path
from typing import Any


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` as ``("bucket", "some/key")``."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def join(base: str, name: str) -> str:
    """``name`` under the folder ``base`` (an S3 prefix or a local directory)."""
    return f"{base.rstrip('/')}/{name}"


@cache
def _s3() -> Any:
    import boto3  # only where S3 is used: the dry run and local paths do without it

    # AWS_ENDPOINT_URL (read by boto3) points it at the local emulator in development.
    return boto3.client("s3")


def read(uri: str) -> bytes:
    """The content at ``uri``; raises OSError (local) or botocore's errors (S3)."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        return _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    return Path(uri.removeprefix("file://")).read_bytes()


def write(path: Path, uri: str) -> None:
    """Copy the local file ``path`` to ``uri``."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        extra = {"ContentType": mimetypes.guess_type(path.name)[0] or "application/octet-stream"}
        if path.suffix == ".ipynb":
            # Browsers would show the JSON: a notebook link downloads it, to open in Jupyter.
            extra = {"ContentType": "application/x-ipynb+json", "ContentDisposition": "attachment"}
        _s3().upload_file(str(path), bucket, key, ExtraArgs=extra)
        return
    target = Path(uri.removeprefix("file://"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())


def list_under(base: str) -> list[str]:
    """Every key (or file) under the folder ``base``, relative to it, sorted."""
    if is_s3(base):
        bucket, prefix = split_s3(join(base, ""))
        keys = []
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"].removeprefix(prefix) for item in page.get("Contents", []))
        return sorted(keys)
    root = Path(base.removeprefix("file://"))
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
