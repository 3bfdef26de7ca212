"""What ``/__version__`` reports: the CalVer release, the commit and the build."""

from __future__ import annotations

import json
import subprocess
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=4)
def get_version(root: str | Path) -> dict[str, Any] | None:
    """The contents of ``<root>/version.json`` (written by the image build).

    Without that file (a developer's checkout) the version is the CalVer release
    being worked on (``pyproject.toml``) marked ``-dev``, with git's commit.
    """
    path = Path(root) / "version.json"
    if path.exists():
        return json.loads(path.read_text())
    return {
        "version": f"{project_version(root)}-dev",
        "commit": _git(root, "rev-parse", "HEAD") or "",
        "source": "",
        "build": "local",
    }


def project_version(root: str | Path) -> str:
    """The ``version`` of ``pyproject.toml``: the next CalVer release, e.g. ``2026.11.0``."""
    try:
        with open(Path(root) / "pyproject.toml", "rb") as pyproject:
            return str(tomllib.load(pyproject)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0.0.0"


def _git(root: str | Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
