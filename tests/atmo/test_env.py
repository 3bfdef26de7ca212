"""The environment readers: types, blanks, ``NAME_FILE`` and refusals that name the variable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from atmo.lib.env import envbool, envfloat, envint, envlist, envstr, require


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


def test_envstr_prefers_a_secret_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET", "from-env")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert envstr("X_SECRET") == "from-file"


def test_require_names_the_missing_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be set when ATMO_ENVIRONMENT=prod"):
        require("REDIS_URL", "", "prod")


def test_a_value_required_in_an_environment_has_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_URL", "  ")
    with pytest.raises(ImproperlyConfigured, match="X_URL must be set when ATMO_ENVIRONMENT=stage"):
        envstr("X_URL", "redis://local", required_in="stage")
    assert envstr("X_URL", "redis://local", required_in=None) == "redis://local"
    monkeypatch.setenv("X_URL", "redis://remote")
    assert envstr("X_URL", "redis://local", required_in="stage") == "redis://remote"


def test_an_empty_value_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("X_FLAG", "X_NUMBER", "X_LIST", "X_TEXT"):
        monkeypatch.setenv(name, "")
    assert envbool("X_FLAG", True) is True
    assert envint("X_NUMBER", 7) == 7
    assert envlist("X_LIST", ["a"]) == ["a"]
    assert envstr("X_TEXT", "default") == "default"


@pytest.mark.parametrize(
    "reader, content, expected",
    [
        (lambda: envstr("X_VALUE"), "text\n", "text"),
        (lambda: envbool("X_VALUE"), "yes\n", True),
        (lambda: envint("X_VALUE", 0), " 42\n", 42),
        (lambda: envfloat("X_VALUE", 0.0), "2.5\n", 2.5),
        (lambda: envlist("X_VALUE"), "a.example,b.example\n", ["a.example", "b.example"]),
    ],
)
def test_every_reader_prefers_the_value_file(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    reader: Callable[[], object],
    content: str,
    expected: object,
) -> None:
    value_file = tmp_path / "value"
    value_file.write_text(content)
    monkeypatch.setenv("X_VALUE", "ignored-when-the-file-is-set")
    monkeypatch.setenv("X_VALUE_FILE", str(value_file))
    assert reader() == expected


def test_a_value_file_that_cannot_be_read_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("X_NUMBER_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER_FILE points to an unreadable file"):
        envint("X_NUMBER", 1)


def test_a_blank_value_file_counts_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    value_file = tmp_path / "value"
    value_file.write_text("\n")
    monkeypatch.setenv("X_TEXT_FILE", str(value_file))
    assert envstr("X_TEXT", "default") == "default"


def test_a_list_of_nothing_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_LIST", " , ,")
    assert envlist("X_LIST") == []
    assert envlist("X_LIST", ["fallback"]) == ["fallback"]


def test_envfloat_refuses_garbage_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER must be a number"):
        envfloat("X_NUMBER", 1.0)


def test_a_required_list_refuses_a_list_of_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_HOSTS", ",")
    with pytest.raises(ImproperlyConfigured, match="X_HOSTS must be set when ATMO_ENVIRONMENT=prod"):
        envlist("X_HOSTS", ["localhost"], required_in="prod")
    assert envlist("X_HOSTS", ["localhost"]) == ["localhost"]
    monkeypatch.setenv("X_HOSTS", "atmo.example.org, ")
    assert envlist("X_HOSTS", ["localhost"], required_in="prod") == ["atmo.example.org"]
