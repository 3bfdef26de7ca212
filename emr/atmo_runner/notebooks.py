"""Recognise a runnable notebook: a Python Jupyter notebook, or a Zeppelin note of supported paragraphs.

The same checks refuse a bad upload in the portal and fail a run whose stored
notebook is bad, so a notebook that passes them at upload is one the runner can run.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from typing import Any

import nbformat
from nbformat import NotebookNode

JUPYTER = "jupyter"
ZEPPELIN = "zeppelin"

#: Zeppelin interpreters the runner runs, by the name after ``%`` (``%spark.pyspark`` …).
PYTHON_INTERPRETERS = frozenset({"python", "pyspark", "ipyspark", "spark.pyspark", "spark.ipyspark"})
SQL_INTERPRETERS = frozenset({"sql", "spark.sql"})
MARKDOWN_INTERPRETERS = frozenset({"md", "markdown"})
#: A paragraph without an interpreter line runs as PySpark (the note's default interpreter
#: is not in its export, and PySpark is the only Spark language the runner has).
DEFAULT_INTERPRETER = "pyspark"

_INTERPRETER_LINE = re.compile(r"\A\s*%([A-Za-z0-9_.]+)[^\n]*(?:\n|\Z)")


#: The messages of the problems the portal's upload form also names (``atmo.jobs.forms.MESSAGES``).
NOT_JSON = "The notebook is not valid JSON, so it cannot be run. Is it the right file?"
NOT_JUPYTER = 'This .ipynb file is JSON but not a Jupyter notebook: it has neither "cells" nor "nbformat".'
NOT_ZEPPELIN = 'This .json file is not a Zeppelin note: it has no list of "paragraphs".'


class NotebookProblem(ValueError):
    """The content cannot be run; the message says why in words fit for the notebook's author."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Paragraph:
    """One Zeppelin paragraph: its position, title, interpreter kind and body (without the ``%`` line)."""

    index: int
    title: str
    interpreter: str
    kind: str  # "python", "sql", "markdown" or "unsupported"
    body: str
    text: str

    @property
    def label(self) -> str:
        """How a message names the paragraph: its number (from 1) and title."""
        title = f' ("{self.title}")' if self.title else ""
        return f"paragraph {self.index + 1}{title}"


def _interpreter_kind(name: str) -> str:
    lowered = name.lower()
    if lowered in PYTHON_INTERPRETERS:
        return "python"
    if lowered in SQL_INTERPRETERS:
        return "sql"
    if lowered in MARKDOWN_INTERPRETERS:
        return "markdown"
    return "unsupported"


def zeppelin_paragraphs(document: Any) -> list[Paragraph]:
    """The paragraphs of a Zeppelin note; :class:`NotebookProblem` when it does not have a note's shape."""
    paragraphs = document.get("paragraphs") if isinstance(document, dict) else None
    if not isinstance(paragraphs, list):
        raise NotebookProblem(NOT_ZEPPELIN, "not_zeppelin")
    result = []
    for index, raw in enumerate(paragraphs):
        if not isinstance(raw, dict):
            raise NotebookProblem(f"Paragraph {index + 1} of the note is not a paragraph object.", "shape")
        text = raw.get("text") or ""
        title = raw.get("title") or ""
        if not isinstance(text, str) or not isinstance(title, str):
            raise NotebookProblem(f"The text or title of paragraph {index + 1} is not a string.", "shape")
        match = _INTERPRETER_LINE.match(text)
        interpreter = match.group(1) if match else DEFAULT_INTERPRETER
        body = text[match.end() :] if match else text
        result.append(Paragraph(index, title, interpreter, _interpreter_kind(interpreter), body, text))
    return result


def check_zeppelin(document: Any) -> list[Paragraph]:
    """The note's paragraphs when all can run and one has code; else :class:`NotebookProblem`."""
    paragraphs = zeppelin_paragraphs(document)
    unsupported = [p for p in paragraphs if p.kind == "unsupported" and p.body.strip()]
    if unsupported:
        first = unsupported[0]
        raise NotebookProblem(
            f"The %{first.interpreter} interpreter of {first.label} is not supported: ATMO runs "
            "Python/PySpark (%pyspark, %python), SQL (%sql) and Markdown (%md) paragraphs.",
            "interpreter",
        )
    if not any(p.kind in ("python", "sql") and p.body.strip() for p in paragraphs):
        message = "The note has no PySpark, Python or SQL paragraph: there is nothing to run."
        raise NotebookProblem(message, "empty")
    return paragraphs


def _kernel_language(notebook: NotebookNode) -> str:
    metadata = notebook.get("metadata") or {}
    kernelspec = metadata.get("kernelspec") or {}
    language_info = metadata.get("language_info") or {}
    return str(kernelspec.get("language") or language_info.get("name") or "python")


def check_jupyter(content: str | bytes) -> NotebookNode:
    """The notebook (as nbformat 4) if it is valid, in Python, with code; else :class:`NotebookProblem`."""
    document = _json(content)
    if not isinstance(document, dict) or not ("cells" in document or "nbformat" in document):
        raise NotebookProblem(NOT_JUPYTER, "not_jupyter")
    try:
        with warnings.catch_warnings():  # cells without ids (nbformat 4.4 and older) get ids, quietly
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(document), as_version=4)
            nbformat.validate(notebook)
    except Exception as exc:  # nbformat raises ValidationError, KeyError, TypeError… on odd shapes
        detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise NotebookProblem(
            f"This file is not a valid Jupyter notebook ({_first_line(detail)}). Save it again from "
            "Jupyter and upload that copy.",
            "invalid",
        ) from None
    language = _kernel_language(notebook)
    if language.lower() != "python":
        raise NotebookProblem(
            f"The notebook's kernel runs {language}, but ATMO runs Python (PySpark) notebooks only. "
            "Switch it to a Python kernel in Jupyter (Kernel → Change Kernel) and upload it again.",
            "kernel",
        )
    if not any(cell.cell_type == "code" and cell.source.strip() for cell in notebook.cells):
        raise NotebookProblem("The notebook has no code cell: there is nothing to run.", "empty")
    return notebook


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= limit else line[: limit - 1] + "…"


def check_notebook(kind: str, content: str | bytes) -> None:
    """Raise :class:`NotebookProblem` unless ``content`` is a notebook of ``kind`` the runner can run."""
    if kind == JUPYTER:
        check_jupyter(content)
        return
    check_zeppelin(_json(content))


def _json(content: str | bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # bad JSON, bad encoding, absurd nesting
        raise NotebookProblem(NOT_JSON, "not_json") from None


#: Where the runner keeps, in each cell's metadata, the cell's place in the notebook as uploaded.
CELL_METADATA_KEY = "atmo"


def _sql_code(body: str) -> str:
    # Zeppelin runs each statement of a %sql paragraph; show each result as a table.
    statements = [part.strip() for part in re.split(r";\s*(?:\n|\Z)", body) if part.strip()]
    return "\n".join(f"spark.sql({statement!r}).show(1000, truncate=False)" for statement in statements)


def zeppelin_notebook(paragraphs: list[Paragraph]) -> NotebookNode:
    """A Jupyter notebook with one cell per paragraph, in order: code for PySpark/SQL, markdown kept."""
    cells = []
    for paragraph in paragraphs:
        if paragraph.kind == "markdown" or not paragraph.body.strip():
            cell = nbformat.v4.new_markdown_cell(paragraph.body)
        elif paragraph.kind == "sql":
            cell = nbformat.v4.new_code_cell(f"# %{paragraph.interpreter}\n{_sql_code(paragraph.body)}")
        else:
            cell = nbformat.v4.new_code_cell(paragraph.body)
        cell.metadata[CELL_METADATA_KEY] = {"cell_index": paragraph.index, "source": paragraph.text}
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def runnable_notebook(kind: str, content: str | bytes) -> NotebookNode:
    """The notebook to run, cells stamped with their place in the upload; :class:`NotebookProblem` if bad."""
    if kind == ZEPPELIN:
        return zeppelin_notebook(check_zeppelin(_json(content)))
    notebook = check_jupyter(content)
    for index, cell in enumerate(notebook.cells):
        cell.metadata[CELL_METADATA_KEY] = {"cell_index": index}
    return notebook


def notebook_kind(name: str) -> str | None:
    """``"jupyter"`` for ``.ipynb``, ``"zeppelin"`` for ``.json``, None otherwise."""
    lowered = name.lower()
    if lowered.endswith(".ipynb"):
        return JUPYTER
    if lowered.endswith(".json"):
        return ZEPPELIN
    return None
