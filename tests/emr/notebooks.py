"""Notebooks the runner, emulator and upload tests run or refuse."""

from __future__ import annotations

import json
from typing import Any

import nbformat


def jupyter(*sources: str, parameters: str | None = None, language: str = "python") -> bytes:
    """A Python notebook of these code cells, after a markdown title and, if given, a ``parameters`` cell.

    The cells are numbered from 0 as in the file: the title is cell 0, then the
    parameters cell (when there is one), then ``sources``.
    """
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "language": language, "display_name": language}
    notebook.cells.append(nbformat.v4.new_markdown_cell("# A test notebook"))
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in sources)
    return nbformat.writes(notebook).encode()


def zeppelin(*texts: str, titles: dict[int, str] | None = None) -> bytes:
    """A Zeppelin note of paragraphs with these texts (``%pyspark\\n…``)."""
    titles = titles or {}
    paragraphs: list[dict[str, Any]] = [
        {"text": text, **({"title": titles[index]} if index in titles else {})}
        for index, text in enumerate(texts)
    ]
    return json.dumps({"name": "a note", "paragraphs": paragraphs}).encode()


#: Cell 3 divides by zero (cell 0 is the title).
FAILING_IN_CELL_3 = jupyter("x = 1", "y = 2", "x / 0", "print('never')")
