"""``.env-dist`` lists every variable the settings read (the docs' table is built from it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = {"envstr", "envbool", "envint", "envfloat", "envlist"}


def variables_read_by_settings() -> set[str]:
    tree = ast.parse((ROOT / "atmo" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return names


def variables_in_env_dist() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env-dist").read_text(), re.M))


def test_every_variable_the_settings_read_is_in_env_dist() -> None:
    missing = variables_read_by_settings() - variables_in_env_dist()
    assert not missing, f"add these to .env-dist with a comment: {sorted(missing)}"


def test_every_variable_in_env_dist_has_a_comment() -> None:
    lines = (ROOT / ".env-dist").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            above = lines[number - 1]
            assert above.startswith("#") or re.match(r"^[A-Z][A-Z0-9_]*=", above), line
