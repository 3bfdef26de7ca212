"""What ``/__version__`` reports: the CalVer release, the commit and the build."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=4)
def get_version(root: str | Path) -> dict[str, Any] | None:
    """The contents of ``<root>/version.json`` (written by the image build).

    Without that file (a developer's checkout) the version is derived from git:
    the latest ``YYYY.M.N`` tag and the current commit.
    """
    path = Path(root) / "version.json"
    if path.exists():
        return json.loads(path.read_text())
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return None
    tag = _git(root, "describe", "--tags", "--abbrev=0") or "0.0.0"
    return {"version": f"{tag}-dev", "commit": commit, "source": "", "build": "local"}


def _git(root: str | Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
