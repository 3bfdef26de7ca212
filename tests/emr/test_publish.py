"""Publishing emr/ to the Spark EMR bucket: what the provisioners point at, uploaded only when changed."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.management import call_command
from moto import mock_aws

from atmo.cluster_code import BATCH_KEY, BOOTSTRAP_KEY, EMR_DIR, ZEPPELIN_KEY, publish, published_files
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.jobs.provisioners import SparkJobProvisioner

BUCKET = "atmo-spark-emr"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def emr_copy(tmp_path: Path) -> Path:
    """A copy of emr/ to change."""
    return Path(shutil.copytree(EMR_DIR, tmp_path / "emr", ignore=shutil.ignore_patterns("__pycache__")))


def stored(s3: Any) -> dict[str, tuple[str, str]]:
    """Every object in the bucket: its ETag and content hash metadata."""
    objects = {}
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        head = s3.head_object(Bucket=BUCKET, Key=item["Key"])
        objects[item["Key"]] = (head["ETag"], head["Metadata"].get("sha256"))
    return objects


def test_publishing_puts_every_file_with_its_content_hash(s3: Any) -> None:
    publication = publish(s3, BUCKET)

    files = published_files()
    assert sorted(publication.uploaded) == sorted(files)
    assert {
        BOOTSTRAP_KEY,
        ZEPPELIN_KEY,
        BATCH_KEY,
        "runner/requirements.txt",
        "runner/jupyterlab.txt",
    } <= set(files)
    assert "runner/atmo_runner/cli.py" in files
    for key, body in files.items():
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == body
        assert stored(s3)[key][1] == hashlib.sha256(body).hexdigest()


def test_publishing_unchanged_content_again_uploads_nothing(s3: Any) -> None:
    publish(s3, BUCKET)
    before = stored(s3)
    s3.meta.events.register("before-call.s3.PutObject", lambda **kwargs: pytest.fail("uploaded again"))

    publication = publish(s3, BUCKET)

    assert publication.uploaded == []
    assert sorted(publication.unchanged) == sorted(before)
    assert stored(s3) == before


def test_only_what_changed_is_uploaded_again_with_a_new_hash(s3: Any, emr_copy: Path) -> None:
    publish(s3, BUCKET, emr_dir=emr_copy)
    before = stored(s3)
    with (emr_copy / "atmo_runner" / "cli.py").open("a") as cli:
        cli.write("# a change\n")
    (emr_copy / "atmo_runner" / "storage.py").unlink()

    publication = publish(s3, BUCKET, emr_dir=emr_copy)

    assert publication.uploaded == ["runner/atmo_runner/cli.py"]
    assert publication.removed == ["runner/atmo_runner/storage.py"]
    after = stored(s3)
    assert after["runner/atmo_runner/cli.py"][1] != before["runner/atmo_runner/cli.py"][1]
    assert {key: value for key, value in after.items() if key != "runner/atmo_runner/cli.py"} == {
        key: value
        for key, value in before.items()
        if key not in ("runner/atmo_runner/cli.py", "runner/atmo_runner/storage.py")
    }


def test_a_change_to_the_shared_helpers_changes_every_script(s3: Any, emr_copy: Path) -> None:
    publish(s3, BUCKET, emr_dir=emr_copy)
    with (emr_copy / "lib.sh").open("a") as lib:
        lib.write("# a change\n")

    assert sorted(publish(s3, BUCKET, emr_dir=emr_copy).uploaded) == sorted(
        [BATCH_KEY, BOOTSTRAP_KEY, ZEPPELIN_KEY]
    )


@pytest.mark.parametrize("key", [BOOTSTRAP_KEY, BATCH_KEY, ZEPPELIN_KEY])
def test_a_published_script_stands_on_its_own(key: str, tmp_path: Path) -> None:
    body = published_files()[key]
    assert b'lib.sh"\n' not in body.replace(b"# shellcheck source=emr/lib.sh", b"")
    assert b"run() {" in body
    assert subprocess.run(["bash", "-n"], input=body, check=False).returncode == 0


def test_the_provisioners_point_at_what_is_published() -> None:
    files = published_files()
    jobs, clusters = SparkJobProvisioner(), ClusterProvisioner()
    for uri in (jobs.script_uri, jobs.zeppelin_uri, jobs.batch_uri, clusters.script_uri):
        assert uri.startswith(f"s3://{BUCKET}/")
        assert uri.removeprefix(f"s3://{BUCKET}/") in files
    assert jobs.runner_uri == f"s3://{BUCKET}/runner/"


def test_the_command_publishes_to_the_spark_emr_bucket_and_says_what_it_did(s3: Any, db: Any) -> None:
    out = io.StringIO()
    call_command("publish_emr_code", "--dry-run", stdout=out)
    assert f"would upload s3://{BUCKET}/{BATCH_KEY}" in out.getvalue()
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0

    call_command("publish_emr_code", stdout=io.StringIO())
    out = io.StringIO()
    call_command("publish_emr_code", stdout=out)

    assert (
        out.getvalue().strip()
        == f"0 uploaded, {len(published_files())} unchanged, 0 removed, in s3://{BUCKET}/"
    )
