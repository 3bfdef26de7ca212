"""``.. env-table::``: the table of every environment variable, read from ``.env-dist``.

``.env-dist`` is the one list of variables (a test checks that the settings read
no other); the comment lines above a variable describe it, ``# --- Name ---``
lines start a section. Generating the table keeps the docs from drifting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive

SECTION = re.compile(r"^#\s*---\s*(.+?)\s*-*\s*$")
VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def parse_env_dist(path: Path) -> list[tuple[str, str, str, str]]:
    """(section, name, example value, description) for every variable."""
    rows = []
    section, comments = "", []
    for line in path.read_text().splitlines():
        if match := SECTION.match(line):
            section, comments = match.group(1), []
        elif line.startswith("#"):
            comments.append(line.lstrip("#").strip())
        elif match := VARIABLE.match(line):
            rows.append((section, match.group(1), match.group(2), " ".join(comments)))
            comments = []
        else:
            comments = []
    return rows


class EnvTable(Directive):
    has_content = False

    def run(self) -> list[Any]:
        root = Path(self.state.document.settings.env.srcdir).parent
        path = root / ".env-dist"
        self.state.document.settings.record_dependencies.add(str(path))
        table = nodes.table(classes=["env-table"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (14, 26, 20, 40):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(["Section", "Variable", "Example", "Meaning"])
        body = nodes.tbody()
        group += body
        for section, name, value, text in parse_env_dist(path):
            body += self._row([section, name, value, text], literal={1, 2})
        return [table]

    @staticmethod
    def _row(cells: list[str], literal: frozenset[int] | set[int] = frozenset()) -> nodes.row:
        row = nodes.row()
        for index, text in enumerate(cells):
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            paragraph += nodes.literal(text=text) if index in literal and text else nodes.Text(text)
            entry += paragraph
            row += entry
        return row


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("env-table", EnvTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
