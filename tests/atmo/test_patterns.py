"""Every ``pattern`` attribute of the form pages compiles with the ``v`` flag, as Chromium compiles it.

A pattern that does not compile is ignored by the browser (no check as you type)
and reported on the console; the browser tests see that too, this test sees it fast.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory
from tests.keys.factories import SSHKeyFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to compile the patterns"),
]

PATTERN = re.compile(r'\spattern="([^"]*)"')
# What the HTML standard does with the attribute: anchored, non-capturing, "v" flag.
COMPILE = """
const failures = [];
for (const pattern of JSON.parse(require("fs").readFileSync(0, "utf8"))) {
  try { new RegExp("^(?:" + pattern + ")$", "v"); }
  catch (error) { failures.push(pattern + ": " + error.message); }
}
console.log(JSON.stringify(failures));
"""


def failing(patterns: list[str]) -> list[str]:
    """The patterns that do not compile under the "v" flag, each with Node's reason."""
    command = ["node", "-e", COMPILE]
    result = subprocess.run(command, input=json.dumps(patterns), capture_output=True, text=True, check=True)
    return list(json.loads(result.stdout))


def test_the_form_pages_patterns_compile_with_the_v_flag(client_for: Any, user: Any) -> None:
    SSHKeyFactory(created_by=user)
    release = EMRReleaseFactory(version="7.1.0")
    cluster = ClusterFactory(created_by=user, emr_release=release, most_recent_status="WAITING")
    job = SparkJobFactory(created_by=user, emr_release=release)
    client = client_for(user)
    pages = [
        "/clusters/new/",
        f"/clusters/{cluster.pk}/extend/",
        "/jobs/new/",
        f"/jobs/{job.pk}/edit/",
        "/keys/new/",
    ]

    patterns = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        patterns |= {html.unescape(found) for found in PATTERN.findall(response.content.decode())}

    assert patterns  # the identifier fields have one
    assert failing(sorted(patterns)) == []


def test_the_old_identifier_pattern_would_have_failed() -> None:
    """The check itself: a bare "-" at the end of a class is an error under "v"."""
    assert len(failing(["[a-z0-9-]{1,100}"])) == 1
