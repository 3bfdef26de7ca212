from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from atmo.lib.env import envbool, envint, envlist, envstr, require


def test_envbool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("true", True), ("1", True), ("Yes", True), ("off", False), ("0", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert envbool("X_FLAG") is expected
    monkeypatch.delenv("X_FLAG")
    assert envbool("X_FLAG", True) is True


def test_envbool_refuses_garbage_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        envbool("X_FLAG")


def test_envint_refuses_garbage_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_NUMBER", "12a")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER"):
        envint("X_NUMBER", 1)
    monkeypatch.setenv("X_NUMBER", "12")
    assert envint("X_NUMBER", 1) == 12


def test_envlist_drops_blank_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert envlist("X_LIST") == ["a.example", "b.example"]


def test_envstr_prefers_a_secret_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET", "from-env")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert envstr("X_SECRET") == "from-file"


def test_require_names_the_missing_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be set when ATMO_ENVIRONMENT=prod"):
        require("REDIS_URL", "", "prod")


def test_an_empty_value_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("X_FLAG", "X_NUMBER", "X_LIST", "X_TEXT"):
        monkeypatch.setenv(name, "")
    assert envbool("X_FLAG", True) is True
    assert envint("X_NUMBER", 7) == 7
    assert envlist("X_LIST", ["a"]) == ["a"]
    assert envstr("X_TEXT", "default") == "default"
