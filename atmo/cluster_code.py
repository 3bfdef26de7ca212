"""The code ATMO's clusters run (the ``emr/`` folder) and its place in the Spark EMR bucket.

The provisioners point EMR at these keys; ``manage.py publish_emr_code`` (``make
publish-emr``) puts the files there, and the local AWS emulator does the same at
start-up. Each object carries the SHA-256 of its content in its metadata, so
publishing again uploads only what changed. Nothing here imports Django.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EMR_DIR = Path(__file__).resolve().parent.parent / "emr"

#: Where the bootstrap action, the Zeppelin step and the batch step live in the bucket.
BOOTSTRAP_KEY = "bootstrap/telemetry.sh"
ZEPPELIN_KEY = "steps/zeppelin/zeppelin.sh"
BATCH_KEY = "steps/batch.sh"
#: The folder the bootstrap action copies the runner from (``--runner-uri``).
RUNNER_PREFIX = "runner/"
#: The object metadata entry holding the content's SHA-256 (``x-amz-meta-sha256``).
HASH_METADATA = "sha256"

#: EMR fetches each script on its own: the helpers it sources are written into it.
_SOURCE_LIB = '. "$(dirname "$0")/lib.sh"\n'


def script_body(path: Path) -> bytes:
    """A script as published: with ``lib.sh`` in place of the line that sources it."""
    text = path.read_text()
    return text.replace(_SOURCE_LIB, (path.parent / "lib.sh").read_text()).encode()


def published_files(emr_dir: Path = EMR_DIR) -> dict[str, bytes]:
    files = {
        BOOTSTRAP_KEY: script_body(emr_dir / "bootstrap.sh"),
        ZEPPELIN_KEY: script_body(emr_dir / "zeppelin.sh"),
        BATCH_KEY: script_body(emr_dir / "batch.sh"),
    }
    for name in ("requirements.txt", "jupyterlab.txt"):
        files[f"{RUNNER_PREFIX}{name}"] = (emr_dir / name).read_bytes()
    for path in sorted((emr_dir / "atmo_runner").glob("*.py")):
        files[f"{RUNNER_PREFIX}atmo_runner/{path.name}"] = path.read_bytes()
    return files


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _content_type(key: str) -> str:
    if key.endswith(".sh"):
        return "text/x-shellscript"
    if key.endswith(".py"):
        return "text/x-python"
    return "text/plain"


@dataclass
class Publication:
    """What a publish did: the keys uploaded, left as they were, and removed (no longer in emr/)."""

    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def stored_hash(s3: Any, bucket: str, key: str) -> str | None:
    """The content hash in the object's metadata; None when there is no such object (or hash)."""
    try:
        return s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get(HASH_METADATA)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def publish(s3: Any, bucket: str, *, dry_run: bool = False, emr_dir: Path = EMR_DIR) -> Publication:
    """Upload what changed in ``emr/`` to ``bucket``; remove runner files that are gone from it.

    Raises botocore's errors when S3 refuses.
    """
    publication = Publication()
    files = published_files(emr_dir)
    for key, body in files.items():
        digest = content_hash(body)
        if stored_hash(s3, bucket, key) == digest:
            publication.unchanged.append(key)
            continue
        if not dry_run:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=_content_type(key),
                Metadata={HASH_METADATA: digest},
            )
        publication.uploaded.append(key)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=RUNNER_PREFIX):
        for item in page.get("Contents", []):
            if item["Key"] not in files:
                if not dry_run:
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
                publication.removed.append(item["Key"])
    return publication
