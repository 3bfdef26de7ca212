"""``.. env-table::``: the tables of every environment variable, read from ``.env-dist``.

``.env-dist`` is the one list of variables (tests check that the settings,
``bin/run``, the ``Procfile``, the local stack and the image build read no
other); :mod:`envdist` reads it. One table per section, with each variable's
default and meaning: generating them keeps the docs from drifting, and a
variable without its own comment fails the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from envdist import EnvVariable, parse_env_dist

HEADINGS = ("Variable", "Default", "In .env-dist", "Meaning")
WIDTHS = (24, 22, 18, 46)


class EnvTable(Directive):
    """The directive: no arguments, no content."""

    has_content = False

    def run(self) -> list[Any]:
        """One table node per section of ``.env-dist``, in the file's order."""
        path = Path(self.state.document.settings.env.srcdir).parent / ".env-dist"
        self.state.document.settings.record_dependencies.add(str(path))
        sections: dict[str, list[EnvVariable]] = {}
        for variable in parse_env_dist(path):
            sections.setdefault(variable.section, []).append(variable)
        return [self._table(section, variables) for section, variables in sections.items()]

    def _table(self, section: str, variables: list[EnvVariable]) -> nodes.table:
        table = nodes.table(classes=["env-table"])
        table += nodes.title(text=section)
        group = nodes.tgroup(cols=len(HEADINGS))
        table += group
        for width in WIDTHS:
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += self._row([[nodes.Text(text)] for text in HEADINGS])
        group += head
        body = nodes.tbody()
        for variable in variables:
            meaning = f"Required in stage/prod. {variable.meaning}" if variable.required else variable.meaning
            body += self._row(
                [
                    [nodes.literal(text=variable.name)],
                    inline(variable.default),
                    [nodes.literal(text=variable.example)] if variable.example else [],
                    inline(meaning),
                ]
            )
        group += body
        return table

    @staticmethod
    def _row(cells: list[list[nodes.Node]]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            paragraph = nodes.paragraph()
            paragraph += cell
            entry = nodes.entry()
            entry += paragraph
            row += entry
        return row


def inline(text: str) -> list[nodes.Node]:
    """Text with its `backticked` parts (commands, values) as inline literals."""
    parts = text.split("`")
    return [
        nodes.literal(text=part) if index % 2 else nodes.Text(part)
        for index, part in enumerate(parts)
        if part
    ]


def setup(app: Any) -> dict[str, Any]:
    """Register the directive with Sphinx."""
    app.add_directive("env-table", EnvTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
