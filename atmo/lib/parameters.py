"""Named, typed notebook parameters: their types, how a value is read, and what a definition must be.

A job declares its parameters as a list of ``{"name", "type", "default"}``
(``SparkJob.parameters``); each run gets the values as JSON (papermill injects
them into the notebook's ``parameters`` cell). Values are stored typed: text as
a string, integer as an int, number as a float, true/false as a bool and a date
as an ISO ``YYYY-MM-DD`` string (a notebook parses it if it needs a ``date``).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

#: The types a parameter can have, with the label the forms show.
TYPES: dict[str, str] = {
    "text": "Text",
    "integer": "Integer",
    "number": "Number",
    "boolean": "True/false",
    "date": "Date",
}
#: Names every run gets from ATMO itself (see ``SparkJobRun.notebook_parameters``); a job cannot reuse them.
BUILT_IN_NAMES = frozenset({"run_date", "job_identifier", "run_id", "output_location"})
#: A job declares at most this many parameters.
MAX_PARAMETERS = 20
MAX_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 1000

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off", ""})


class ParameterError(ValueError):
    """A parameter's name, type or value is not acceptable; the message says why, for the user."""


def _text(raw: str) -> str:
    if len(raw) > MAX_TEXT_LENGTH:
        raise ParameterError(f"is longer than {MAX_TEXT_LENGTH} characters")
    return raw


def _integer(raw: str) -> int:
    try:
        return int(raw.strip().replace("_", ""))
    except ValueError:
        raise ParameterError(f"“{raw}” is not a whole number") from None


def _number(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ParameterError(f"“{raw}” is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):  # NaN and infinity are not JSON
        raise ParameterError(f"“{raw}” is not a finite number")
    return value


def _boolean(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ParameterError(f"“{raw}” is not true or false")


def _date(raw: str) -> str:
    try:
        return date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        raise ParameterError(f"“{raw}” is not a date (YYYY-MM-DD)") from None


PARSERS: dict[str, Callable[[str], Any]] = {
    "text": _text,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
}


def parse_value(type_name: str, raw: Any) -> Any:
    """``raw`` (as typed in a form, or a stored value) as a value of ``type_name``.

    Raises :class:`ParameterError` saying what is wrong with it.
    """
    if type_name not in PARSERS:
        raise ParameterError(f"“{type_name}” is not a parameter type")
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    return PARSERS[type_name]("" if raw is None else str(raw))


def format_value(type_name: str, value: Any) -> str:
    """A stored value as a form shows it (``true``/``false`` for booleans, a number without ``.0``)."""
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def check_name(name: str) -> None:
    """Raise :class:`ParameterError` unless ``name`` can be a notebook variable of a job's own."""
    if not name:
        raise ParameterError("A parameter needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise ParameterError(f"The name “{name[:20]}…” is longer than {MAX_NAME_LENGTH} characters.")
    if not name.isidentifier() or not name.isascii():
        raise ParameterError(
            f"“{name}” is not a valid Python name: use letters, digits and underscores, "
            "not starting with a digit."
        )
    if keyword.iskeyword(name):
        raise ParameterError(f"“{name}” is a Python keyword.")
    if name in BUILT_IN_NAMES:
        raise ParameterError(f"“{name}” is set by ATMO for every run; choose another name.")


def clean_definitions(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked parameter definitions, defaults typed; raises :class:`ParameterError` on the first problem."""
    definitions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        name = str(row.get("name", "")).strip()
        check_name(name)
        if name in seen:
            raise ParameterError(f"“{name}” is declared twice.")
        seen.add(name)
        type_name = row.get("type", "")
        try:
            default = parse_value(type_name, row.get("default"))
        except ParameterError as exc:
            raise ParameterError(f"The default of “{name}”: {exc}.") from None
        definitions.append({"name": name, "type": type_name, "default": default})
    if len(definitions) > MAX_PARAMETERS:
        raise ParameterError(f"A job can have at most {MAX_PARAMETERS} parameters.")
    return definitions


def resolve(definitions: Iterable[Mapping[str, Any]], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared parameter's value: the override when given, else the default (typed).

    Overrides of names the job does not declare are ignored. Raises
    :class:`ParameterError` when an override does not parse as its type.
    """
    values: dict[str, Any] = {}
    for definition in definitions:
        name = definition["name"]
        if name in overrides:
            try:
                values[name] = parse_value(definition["type"], overrides[name])
            except ParameterError as exc:
                raise ParameterError(f"“{name}”: {exc}.") from None
        else:
            values[name] = definition["default"]
    return values
