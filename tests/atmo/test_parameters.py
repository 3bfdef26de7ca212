"""Typed notebook parameters: names, types, defaults and overrides (atmo.lib.parameters)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from atmo.lib.parameters import ParameterError, clean_definitions, format_value, parse_value, resolve


@pytest.mark.parametrize(
    ("type_name", "raw", "value"),
    [
        ("text", "hello world", "hello world"),
        ("integer", " 42 ", 42),
        ("integer", "1_000", 1000),
        ("number", "2.5", 2.5),
        ("number", "-3", -3.0),
        ("boolean", "True", True),
        ("boolean", "no", False),
        ("boolean", True, True),
        ("date", "2026-12-07", "2026-12-07"),
    ],
)
def test_values_parse_as_their_type(type_name: str, raw: Any, value: Any) -> None:
    assert parse_value(type_name, raw) == value
    assert type(parse_value(type_name, raw)) is type(value)


@pytest.mark.parametrize(
    ("type_name", "raw", "message"),
    [
        ("integer", "4.5", "“4.5” is not a whole number"),
        ("number", "many", "“many” is not a number"),
        ("number", "nan", "“nan” is not a finite number"),
        ("boolean", "maybe", "“maybe” is not true or false"),
        ("date", "07/12/2026", "“07/12/2026” is not a date (YYYY-MM-DD)"),
        ("colour", "red", "“colour” is not a parameter type"),
    ],
)
def test_values_that_do_not_parse_say_why(type_name: str, raw: str, message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        parse_value(type_name, raw)


def test_definitions_come_back_with_typed_defaults() -> None:
    rows = [
        {"name": "country", "type": "text", "default": "DE"},
        {"name": "sample", "type": "number", "default": "0.1"},
        {"name": "dry_run", "type": "boolean", "default": "false"},
    ]
    assert clean_definitions(rows) == [
        {"name": "country", "type": "text", "default": "DE"},
        {"name": "sample", "type": "number", "default": 0.1},
        {"name": "dry_run", "type": "boolean", "default": False},
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"name": "2fast", "type": "text", "default": ""}], "“2fast” is not a valid Python name"),
        ([{"name": "my-name", "type": "text", "default": ""}], "“my-name” is not a valid Python name"),
        ([{"name": "class", "type": "text", "default": ""}], "“class” is a Python keyword"),
        ([{"name": "run_date", "type": "date", "default": ""}], "“run_date” is set by ATMO"),
        ([{"name": "", "type": "text", "default": ""}], "A parameter needs a name"),
        (
            [
                {"name": "n", "type": "integer", "default": "1"},
                {"name": "n", "type": "integer", "default": "2"},
            ],
            "“n” is declared twice",
        ),
        (
            [{"name": "n", "type": "integer", "default": "one"}],
            "The default of “n”: “one” is not a whole number",
        ),
    ],
)
def test_bad_definitions_say_what_is_wrong(rows: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        clean_definitions(rows)


def test_overrides_replace_defaults_and_unknown_names_are_ignored() -> None:
    definitions = [
        {"name": "country", "type": "text", "default": "DE"},
        {"name": "limit", "type": "integer", "default": 10},
    ]
    assert resolve(definitions, {"limit": "25", "other": "x"}) == {"country": "DE", "limit": 25}


def test_an_override_of_the_wrong_type_names_its_parameter() -> None:
    with pytest.raises(ParameterError, match="“limit”: “lots” is not a whole number"):
        resolve([{"name": "limit", "type": "integer", "default": 10}], {"limit": "lots"})


@pytest.mark.parametrize(
    ("type_name", "value", "shown"), [("boolean", True, "true"), ("number", 3.0, "3"), ("number", 0.5, "0.5")]
)
def test_values_are_shown_as_they_would_be_typed(type_name: str, value: Any, shown: str) -> None:
    assert format_value(type_name, value) == shown
