"""Fixtures of the Spark job page, form, dashboard and admin tests."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from atmo.clusters.models import EMRRelease
from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory
from tests.users.factories import UserFactory

CODE_BUCKET = settings.AWS_CONFIG["CODE_BUCKET"]
PUBLIC_BUCKET = settings.AWS_CONFIG["PUBLIC_DATA_BUCKET"]
PRIVATE_BUCKET = settings.AWS_CONFIG["PRIVATE_DATA_BUCKET"]

JUPYTER_NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"language_info": {"name": "python"}},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Daily **report**\n"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": ["print(42)"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["42\n"]}],
        },
    ],
}
ZEPPELIN_NOTE = {
    "name": "report",
    "paragraphs": [{"title": "Count", "text": "%pyspark\nspark.range(3).count()"}],
}


def notebook_bytes(document: Any = None) -> bytes:
    return json.dumps(JUPYTER_NOTEBOOK if document is None else document).encode()


def notebook_upload(name: str = "report.ipynb", content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = notebook_bytes(ZEPPELIN_NOTE if name.endswith(".json") else JUPYTER_NOTEBOOK)
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def body(content: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(content), len(content))


def stub_upload(aws: AWSStubs, key: str) -> None:
    aws.s3.add_response("put_object", {}, {"Bucket": CODE_BUCKET, "Key": key, "Body": ANY})


def stub_notebook(aws: AWSStubs, key: str, content: bytes | None = None) -> None:
    content = notebook_bytes() if content is None else content
    aws.s3.add_response(
        "get_object",
        {"Body": body(content), "ContentLength": len(content)},
        {"Bucket": CODE_BUCKET, "Key": key},
    )


def stub_listing(aws: AWSStubs, identifier: str, keys: list[str], bucket: str = PRIVATE_BUCKET) -> None:
    aws.s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key} for key in keys], "IsTruncated": False},
        {"Bucket": bucket, "Prefix": f"{identifier}/"},
    )


def maintainers_group() -> Group:
    """The maintainers group as the migrations leave it: holding the model-level view permission.

    Made again, with the permission, when a transactional test emptied the tables.
    """
    group, created = Group.objects.get_or_create(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="jobs", codename="view_sparkjob")
        )
    return group


@pytest.fixture
def release(db: Any) -> EMRRelease:
    return EMRReleaseFactory(version="7.1.0")


@pytest.fixture
def owner(user: Any) -> Any:
    return user


@pytest.fixture
def stranger(db: Any) -> Any:
    return UserFactory(username="mallory@example.com")


@pytest.fixture
def maintainer(db: Any) -> Any:
    """A member of the maintainers group, which the migrations grant view on every job."""
    person = UserFactory(username="mo@example.com")
    person.groups.add(maintainers_group())
    return person


@pytest.fixture
def spark_job(owner: Any, release: EMRRelease) -> SparkJob:
    """The owner's job, with the owner's object permissions only (as every job has)."""
    return SparkJobFactory(created_by=owner, emr_release=release)


@pytest.fixture
def jobs(owner: Any, stranger: Any, maintainer: Any) -> None:
    """Three jobs of the owner started a day apart, newest first, a stranger's and a maintainer's."""
    now = timezone.now()
    for number in range(3):
        SparkJobFactory(
            created_by=owner, identifier=f"owners-{number}", start_date=now - timedelta(days=number)
        )
    SparkJobFactory(created_by=stranger, identifier="strangers", start_date=now - timedelta(days=10))
    SparkJobFactory(created_by=maintainer, identifier="maintainers-own", start_date=now - timedelta(days=20))
