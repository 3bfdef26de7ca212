"""Uploads of the wrong type, empty, huge, binary or oddly named: notebooks and SSH key files."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import ANY
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from atmo.jobs.models import SparkJob
from tests.hostile.conftest import World, is_server_error, snapshot
from tests.jobs.conftest import CODE_BUCKET, notebook_bytes
from tests.jobs.pages import edit_post, new_post, stub_detail
from tests.keys.factories import private_key_text

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(1024)
BINARY = bytes(range(256)) * 16
NOTEBOOK = notebook_bytes()

#: Notebook uploads the job forms must refuse: (file name, content).
BAD_NOTEBOOKS = [
    ("report.exe", NOTEBOOK),
    ("report.py", b"print(1)"),
    ("report", NOTEBOOK),
    ("report.ipynb.exe", NOTEBOOK),
    ("report.txt", NOTEBOOK),
    ("report.png", PNG),
    ("report.ipynb", b""),
    ("report.json", b""),
    ("report.ipynb", BINARY),
    ("report.ipynb", PNG),
    ("report.ipynb", b"\x00" * 100),
    ("report.ipynb", b"\xff\xfe{\x00}"),
    ("report.ipynb", b"{"),
    ("report.ipynb", b"null"),
    ("report.ipynb", b"[]"),
    ("report.ipynb", b'"cells"'),
    ("report.ipynb", b"7"),
    ("report.ipynb", b"{}"),
    ("report.ipynb", b'{"paragraphs": []}'),
    ("report.json", b'{"cells": []}'),
    ("report.ipynb", b"[" * 100_000 + b"]" * 100_000),
]


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def as_owner(client_for: Any, world: World) -> Any:
    return client_for(world.owner)


@pytest.mark.parametrize("form", ["new", "edit"])
def test_every_bad_notebook_is_refused_with_a_message_and_changes_nothing(
    as_owner: Any, world: World, aws: Any, form: str
) -> None:
    url = reverse("jobs-new") if form == "new" else reverse("jobs-edit", args=[world.job.pk])
    before = snapshot()
    failures = []
    for name, content in BAD_NOTEBOOKS:
        data = new_post(world.release) if form == "new" else edit_post(world.job)
        data[f"{form}-notebook"] = upload(name, content)
        response = as_owner.post(url, data)
        if is_server_error(response) or response.status_code != 200:
            failures.append((name, content[:20], response.status_code))
        elif not response.context["form"].errors.get("notebook"):
            failures.append((name, content[:20], "no message on the notebook field"))
    assert not failures
    assert snapshot() == before


def test_a_notebook_over_the_limit_is_refused_by_its_size(as_owner: Any, world: World, aws: Any) -> None:
    limit = settings.ATMO_MAX_NOTEBOOK_BYTES
    padded = NOTEBOOK[:-1] + b" " * (limit - len(NOTEBOOK) + 1) + b"}"
    assert len(padded) == limit + 1
    data = new_post(world.release)
    data["new-notebook"] = upload("report.ipynb", padded)
    response = as_owner.post(reverse("jobs-new"), data)
    assert response.status_code == 200
    [message] = response.context["form"].errors["notebook"]
    assert message.startswith("The notebook is 10.0\xa0MB, more than the 10.0\xa0MB allowed.")
    assert not SparkJob.objects.filter(identifier="weekly-report").exists()


@pytest.mark.parametrize(
    "name, key",
    [
        ("../../etc/passwd.ipynb", "passwd.ipynb"),
        ("..\\..\\evil.ipynb", "evil.ipynb"),
        ("<script>.ipynb", "script.ipynb"),
        ("report\x00.ipynb", "report.ipynb"),
        ("a b;rm -rf.ipynb", "a_brm_-rf.ipynb"),
        ("a/b/c.ipynb", "c.ipynb"),
    ],
)
def test_a_notebooks_name_cannot_leave_the_jobs_folder(
    as_owner: Any, world: World, aws: Any, name: str, key: str
) -> None:
    aws.s3.add_response(
        "put_object", {}, {"Bucket": CODE_BUCKET, "Key": f"jobs/weekly-report/{key}", "Body": ANY}
    )
    data = new_post(world.release)
    data["new-notebook"] = upload(name, NOTEBOOK)
    assert as_owner.post(reverse("jobs-new"), data).status_code == 302
    aws.assert_no_pending_responses()


#: Notebooks that pass the upload's checks, then broke the job page's preview (atmo/lib/notebooks.py).
UNPREVIEWABLE_NOTEBOOKS = [
    ("note.json", {"paragraphs": 7}),
    ("report.ipynb", {"nbformat": 4, "worksheets": 7}),
    ("report.ipynb", {"nbformat": 3, "worksheets": [{"cells": 7}]}),
    ("report.ipynb", {"cells": [{"cell_type": "code", "outputs": 7}]}),
    (
        "report.ipynb",
        {"cells": [{"cell_type": "code", "outputs": [{"output_type": "error", "traceback": 7}]}]},
    ),
    ("report.ipynb", {"cells": [], "metadata": 7}),
]


@pytest.mark.parametrize("name, document", UNPREVIEWABLE_NOTEBOOKS)
def test_a_notebook_of_the_wrong_shape_is_refused_or_shown_without_a_server_error(
    as_owner: Any, world: World, aws: Any, name: str, document: Any
) -> None:
    content = json.dumps(document).encode()
    aws.s3.add_response(
        "put_object", {}, {"Bucket": CODE_BUCKET, "Key": f"jobs/weekly-report/{name}", "Body": ANY}
    )
    data = new_post(world.release)
    data["new-notebook"] = upload(name, content)
    response = as_owner.post(reverse("jobs-new"), data)
    if response.status_code == 200:  # refused at upload: it must say why
        assert response.context["form"].errors["notebook"]
        return
    job = SparkJob.objects.get(identifier="weekly-report")
    stub_detail(aws, job, content=content)
    response = as_owner.get(job.get_absolute_url())
    assert response.status_code == 200
    assert "The notebook cannot be shown" in response.content.decode()


#: Key files the key form must refuse: (file name, content).
BAD_KEY_FILES = [
    ("id_ed25519.pub", b""),
    ("id_ed25519.pub", BINARY),
    ("id_ed25519.pub", PNG),
    ("photo.png", PNG),
    ("id_ed25519.pub", b"ssh-ed25519 " + b"A" * 100_001),
    ("id_ed25519.pub", b"ssh-ed25519 \x00\x00\x00"),
    ("id_ed25519", private_key_text().encode()),
    ("id_ed25519.pub", b"\xef\xbb\xbfnot a key"),
]


def test_every_bad_key_file_is_refused_with_a_message_and_changes_nothing(
    as_owner: Any, world: World
) -> None:
    before = snapshot()
    failures = []
    for name, content in BAD_KEY_FILES:
        data = {"sshkey-title": "", "sshkey-key": "", "sshkey-key_file": upload(name, content)}
        response = as_owner.post(reverse("keys-new"), data)
        errors = response.context["form"].errors if response.status_code == 200 else {}
        if is_server_error(response) or response.status_code != 200:
            failures.append((name, content[:20], response.status_code))
        elif not (errors.get("key_file") or errors.get("key")):
            failures.append((name, content[:20], "no message on the key", dict(errors)))
    assert not failures
    assert snapshot() == before
