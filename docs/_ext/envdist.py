"""Reading ``.env-dist``: the one list of ATMO's environment variables.

The file's format, which :func:`parse_env_dist` enforces:

* ``# --- Name ---`` starts a section.
* Every ``NAME=value`` line has its own comment: the ``#`` lines right above it.
  A blank line ends a comment, so a note under a section heading that is
  followed by a blank line belongs to no variable.
* The comment says what the variable does, then, from a line that starts with
  ``Default:`` to its end, what applies when the variable is unset or blank.
  ``[required in stage/prod]`` marks a variable deployed sites refuse to start
  without.

No docutils here, so the test suite can check the file without Sphinx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SECTION = re.compile(r"^#\s*---\s*(?P<name>.+?)\s*-*\s*$")
VARIABLE = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
DEFAULT = re.compile(r"^Default:\s*(?P<text>.*)$")
REQUIRED = "[required in stage/prod]"


class EnvDistError(ValueError):
    """``.env-dist`` breaks its format; the message names the line."""


@dataclass(frozen=True)
class EnvVariable:
    """One variable of ``.env-dist``, as the documentation's table shows it."""

    section: str
    name: str
    example: str
    default: str
    meaning: str
    required: bool


def parse_env_dist(path: Path) -> list[EnvVariable]:
    """Every variable of the file, in order; raises :class:`EnvDistError` on a format error."""
    variables: list[EnvVariable] = []
    section, comment = "", []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if match := SECTION.match(line):
            section, comment = match["name"], []
        elif line.startswith("#"):
            comment.append(line[1:].strip())
        elif match := VARIABLE.match(line):
            if not comment:
                raise EnvDistError(f"{path.name}:{number}: {match['name']} has no comment of its own")
            variables.append(
                _variable(section, match["name"], match["value"], comment, f"{path.name}:{number}")
            )
            comment = []
        elif line.strip():
            raise EnvDistError(f"{path.name}:{number}: neither a comment nor NAME=value: {line!r}")
        else:
            comment = []
    return variables


def _variable(section: str, name: str, example: str, comment: list[str], where: str) -> EnvVariable:
    """Split a variable's comment into its meaning and its default (the comment's end)."""
    starts = [index for index, line in enumerate(comment) if DEFAULT.match(line)]
    if len(starts) != 1:
        raise EnvDistError(f"{where}: {name}'s comment needs one 'Default:' line, has {len(starts)}")
    first = DEFAULT.match(comment[starts[0]])
    assert first is not None
    default = " ".join([first["text"], *comment[starts[0] + 1 :]]).strip()
    text = " ".join(comment[: starts[0]])
    required = REQUIRED in text
    meaning = " ".join(text.replace(REQUIRED, "").split())
    if not meaning:
        raise EnvDistError(f"{where}: {name}'s comment says only its default, not what it does")
    return EnvVariable(section, name, example, default, meaning, required)
