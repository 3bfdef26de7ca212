"""The set-up half of ``make run`` (python -m localdev)."""

from __future__ import annotations

from pathlib import Path

import pytest

from localdev import __main__ as launcher


def test_env_file_blank_values_keep_the_defaults(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nDATABASE_URL=\nPORT=9000\nQUOTED='x y'\nnot a line\n")
    assert launcher.read_env_file(env_file) == {"PORT": "9000", "QUOTED": "x y"}


def test_a_missing_env_file_is_no_error(tmp_path: Path) -> None:
    assert launcher.read_env_file(tmp_path / "missing") == {}


def test_local_environment_points_everything_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "ATMO_PUBLIC_DATA_URL", "AWS_PUBLIC_DATA_BUCKET", "ATMO_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(launcher, "read_env_file", lambda path: {})
    env = launcher.local_environment()
    assert env["ATMO_ENVIRONMENT"] == "dev"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["ATMO_PUBLIC_DATA_URL"] == "http://127.0.0.1:4566/atmo-public-data/"
    assert env["OIDC_VERIFY_KID"] == "false"


def test_the_developers_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://aws.internal:5000")
    monkeypatch.setattr(launcher, "read_env_file", lambda path: {"PORT": "9000"})
    env = launcher.local_environment()
    assert env["AWS_ENDPOINT_URL"] == "http://aws.internal:5000"
    assert env["PORT"] == "9000"


def test_the_launcher_and_the_chaos_stack_run_from_the_project_folder() -> None:
    # Both run manage.py and the Procfile from here: a wrong ROOT fails `make run` at its first migrate.
    from localdev.__main__ import ROOT as launcher_root
    from localdev.chaos.stack import ROOT as chaos_root

    assert (launcher_root / "manage.py").is_file()
    assert chaos_root == launcher_root
