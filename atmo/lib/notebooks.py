"""Jupyter and Zeppelin notebooks: recognise them and turn them into a safe preview.

A preview is plain data (cells of text, base64 images); the template escapes
every string, renders Markdown cells through the escaping ``markdown`` filter
and never outputs the notebook's own HTML or JavaScript. Nothing here imports
Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

JUPYTER = "jupyter"
ZEPPELIN = "zeppelin"
EXTENSIONS = {".ipynb": JUPYTER, ".json": ZEPPELIN}

#: A preview stops after this many cells; the download has the rest.
MAX_CELLS = 300
#: Longer text outputs (a printed DataFrame…) are cut to this many characters.
MAX_OUTPUT_CHARS = 20_000
#: Larger images are left out rather than inlined into the page.
MAX_IMAGE_BASE64_CHARS = 2 * 1024 * 1024
#: Raster formats a browser shows from a data: URI without running anything
#: (SVG is left out: it is a document, not a picture).
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def strip_terminal_codes(text: str) -> str:
    """``text`` without terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI_ESCAPE.sub("", text)


class NotebookError(ValueError):
    """The content is not a notebook the preview understands; the message says why."""


def notebook_kind(name: str) -> str | None:
    """``"jupyter"`` for ``.ipynb``, ``"zeppelin"`` for ``.json``, None otherwise."""
    lowered = name.lower()
    return next((kind for ext, kind in EXTENSIONS.items() if lowered.endswith(ext)), None)


def has_notebook_structure(kind: str, document: Any) -> bool:
    """Whether parsed JSON has the top-level shape of a notebook of that kind.

    Jupyter notebooks carry ``cells`` (nbformat 4) or at least ``nbformat``
    (older formats keep cells in ``worksheets``); Zeppelin notes carry
    ``paragraphs``.
    """
    if not isinstance(document, dict):
        return False
    if kind == JUPYTER:
        return "cells" in document or "nbformat" in document
    return "paragraphs" in document


@dataclass
class Output:
    """One output of a code cell: ``text``, ``error`` or ``image`` (base64 ``data``)."""

    kind: str
    text: str = ""
    mime: str = ""
    data: str = ""

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{self.data}" if self.kind == "image" else ""


@dataclass
class Cell:
    """``markdown``, ``code`` or ``raw``; Zeppelin paragraphs are ``code`` with a title."""

    kind: str
    source: str
    title: str = ""
    execution_count: int | None = None
    outputs: list[Output] = field(default_factory=list)


@dataclass
class Preview:
    """A notebook as the job page shows it: its kind (Jupyter or Zeppelin), cells and language."""

    kind: str
    cells: list[Cell]
    #: The notebook had more cells than :data:`MAX_CELLS`.
    truncated: bool = False
    language: str = ""


def parse_preview(name: str, content: bytes) -> Preview:
    """The preview of a stored notebook; raises NotebookError when it is not one."""
    kind = notebook_kind(name)
    if kind is None:
        raise NotebookError("Only .ipynb (Jupyter) and .json (Zeppelin) notebooks can be shown.")
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"The notebook is not valid JSON ({exc}).") from exc
    if not has_notebook_structure(kind, document):
        raise NotebookError("The file does not have the structure of a notebook.")
    try:
        cells = _jupyter_cells(document) if kind == JUPYTER else _zeppelin_cells(document)
    except (TypeError, AttributeError, ValueError) as exc:  # a list where a dict should be…
        raise NotebookError("The notebook's cells do not have the structure of a notebook.") from exc
    language = ""
    if kind == JUPYTER:
        language_info = (document.get("metadata") or {}).get("language_info") or {}
        language = str(language_info.get("name", "")) if isinstance(language_info, dict) else ""
    return Preview(kind=kind, cells=cells[:MAX_CELLS], truncated=len(cells) > MAX_CELLS, language=language)


def _text(value: Any) -> str:
    """Notebook strings are either a string or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(item for item in value if isinstance(item, str))
    return ""


def _clip(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + "\n… (cut short in the preview; download the notebook for all of it)"


def _image(mime: str, value: Any) -> Output | None:
    data = re.sub(r"\s+", "", _text(value))
    # Only a clean base64 payload goes into the src attribute.
    if not data or len(data) > MAX_IMAGE_BASE64_CHARS or not _BASE64.fullmatch(data):
        return None
    return Output(kind="image", mime=mime, data=data)


def _rich_output(data: dict[str, Any]) -> Output:
    for mime in IMAGE_TYPES:
        if mime in data:
            image = _image(mime, data[mime])
            if image is not None:
                return image
    if "text/plain" in data:
        return Output(kind="text", text=_clip(_text(data["text/plain"])))
    if "text/markdown" in data:
        return Output(kind="text", text=_clip(_text(data["text/markdown"])))
    return Output(kind="text", text="(This output is only available as HTML or another rich format.)")


def _jupyter_output(raw: Any) -> Output | None:
    if not isinstance(raw, dict):
        return None
    output_type = raw.get("output_type")
    if output_type == "stream":
        return Output(kind="text", text=_clip(_text(raw.get("text"))))
    if output_type in ("error", "pyerr"):
        traceback = "\n".join(line for line in raw.get("traceback") or [] if isinstance(line, str))
        text = traceback or f"{raw.get('ename', 'Error')}: {raw.get('evalue', '')}"
        # Tracebacks carry terminal colour codes.
        return Output(kind="error", text=_clip(strip_terminal_codes(text)))
    if isinstance(raw.get("data"), dict):  # nbformat 4: execute_result, display_data
        return _rich_output(raw["data"])
    # nbformat 3 keeps the formats at the top level ("png", "text"…).
    legacy = {f"image/{key}": raw[key] for key in ("png", "jpeg") if key in raw}
    if "text" in raw:
        legacy["text/plain"] = raw["text"]
    return _rich_output(legacy) if legacy else None


def _jupyter_cells(document: dict[str, Any]) -> list[Cell]:
    raw_cells = document.get("cells")
    if not isinstance(raw_cells, list):
        # nbformat 3 and older: cells live in worksheets.
        raw_cells = [
            cell
            for sheet in document.get("worksheets") or []
            if isinstance(sheet, dict)
            for cell in sheet.get("cells") or []
        ]
    cells = []
    for raw in raw_cells:
        if not isinstance(raw, dict):
            continue
        cell_type = raw.get("cell_type")
        source = _text(raw.get("source", raw.get("input")))
        if cell_type == "heading":  # nbformat 3
            level = raw.get("level")
            if not isinstance(level, int):
                level = 1
            cells.append(Cell(kind="markdown", source=f"{'#' * max(1, min(level, 6))} {source}"))
        elif cell_type == "code":
            outputs = [out for out in map(_jupyter_output, raw.get("outputs") or []) if out is not None]
            count = raw.get("execution_count", raw.get("prompt_number"))
            cells.append(
                Cell(
                    kind="code",
                    source=source,
                    execution_count=count if isinstance(count, int) else None,
                    outputs=outputs,
                )
            )
        else:
            cells.append(Cell(kind="markdown" if cell_type == "markdown" else "raw", source=source))
    return cells


def _zeppelin_cells(document: dict[str, Any]) -> list[Cell]:
    cells = []
    for raw in document.get("paragraphs") or []:
        if not isinstance(raw, dict):
            continue
        text = _text(raw.get("text"))
        title = raw.get("title")
        if not isinstance(title, str):
            title = ""
        if text or title:
            cells.append(Cell(kind="code", source=text, title=title))
    return cells
