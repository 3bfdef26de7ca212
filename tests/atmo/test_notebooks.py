from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from atmo.lib import notebooks
from atmo.lib.notebooks import NotebookError, has_notebook_structure, notebook_kind, parse_preview


def encoded(document: Any) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.ipynb", "jupyter"),
        ("A.IPYNB", "jupyter"),
        ("note.json", "zeppelin"),
        ("a.py", None),
        ("ipynb", None),
    ],
)
def test_the_kind_comes_from_the_file_name(name: str, kind: str | None) -> None:
    assert notebook_kind(name) == kind


@pytest.mark.parametrize(
    ("kind", "document", "expected"),
    [
        ("jupyter", {"cells": []}, True),
        ("jupyter", {"nbformat": 3, "worksheets": []}, True),
        ("jupyter", {"paragraphs": []}, False),
        ("jupyter", ["cells"], False),
        ("zeppelin", {"paragraphs": []}, True),
        ("zeppelin", {"cells": []}, False),
    ],
)
def test_the_structure_check(kind: str, document: Any, expected: bool) -> None:
    assert has_notebook_structure(kind, document) is expected


def test_a_jupyter_notebook_becomes_cells_with_outputs() -> None:
    png = base64.b64encode(b"png bytes").decode()
    preview = parse_preview(
        "report.ipynb",
        encoded(
            {
                "nbformat": 4,
                "metadata": {"language_info": {"name": "python"}},
                "cells": [
                    {"cell_type": "markdown", "source": ["# Title\n", "text"]},
                    {
                        "cell_type": "code",
                        "execution_count": 3,
                        "source": "x",
                        "outputs": [
                            {"output_type": "execute_result", "data": {"text/plain": ["1", "2"]}},
                            {"output_type": "display_data", "data": {"image/png": f"{png[:4]}\n{png[4:]}"}},
                            {"output_type": "display_data", "data": {"text/html": "<b>x</b>"}},
                            {"output_type": "error", "traceback": ["\x1b[0;31mValueError\x1b[0m: bad"]},
                        ],
                    },
                    {"cell_type": "raw", "source": "raw text"},
                    "not a cell",
                ],
            }
        ),
    )
    assert preview.kind == "jupyter" and preview.language == "python"
    markdown, code, raw = preview.cells
    assert (markdown.kind, markdown.source) == ("markdown", "# Title\ntext")
    assert code.execution_count == 3
    text, image, html, error = code.outputs
    assert text.text == "12"
    assert image.data_uri == f"data:image/png;base64,{png}"
    assert "only available as HTML" in html.text
    assert (error.kind, error.text) == ("error", "ValueError: bad")
    assert (raw.kind, raw.source) == ("raw", "raw text")


def test_an_image_that_is_not_clean_base64_is_left_out() -> None:
    preview = parse_preview(
        "a.ipynb",
        encoded(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "source": "",
                        "outputs": [
                            {
                                "output_type": "display_data",
                                "data": {"image/png": 'AAAA" onerror="x', "text/plain": "<Figure>"},
                            }
                        ],
                    }
                ]
            }
        ),
    )
    (output,) = preview.cells[0].outputs
    assert (output.kind, output.text, output.data_uri) == ("text", "<Figure>", "")


def test_an_nbformat_3_notebook_is_read_from_its_worksheets() -> None:
    preview = parse_preview(
        "old.ipynb",
        encoded(
            {
                "nbformat": 3,
                "worksheets": [
                    {
                        "cells": [
                            {"cell_type": "heading", "level": 2, "source": "Part"},
                            {
                                "cell_type": "code",
                                "input": ["1 + 1"],
                                "prompt_number": 4,
                                "outputs": [{"output_type": "pyout", "text": ["2"]}],
                            },
                        ]
                    }
                ],
            }
        ),
    )
    heading, code = preview.cells
    assert heading.source == "## Part"
    assert (code.source, code.execution_count, code.outputs[0].text) == ("1 + 1", 4, "2")


def test_a_zeppelin_note_becomes_its_paragraphs() -> None:
    preview = parse_preview(
        "note.json",
        encoded(
            {"paragraphs": [{"title": "T", "text": "%md hi"}, {"text": ""}, {"title": None, "text": "x"}]}
        ),
    )
    assert [(cell.title, cell.source) for cell in preview.cells] == [("T", "%md hi"), ("", "x")]


def test_long_outputs_and_many_cells_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebooks, "MAX_CELLS", 2)
    monkeypatch.setattr(notebooks, "MAX_OUTPUT_CHARS", 5)
    cell = {"cell_type": "code", "source": "", "outputs": [{"output_type": "stream", "text": "0123456789"}]}
    preview = parse_preview("a.ipynb", encoded({"cells": [cell, cell, cell]}))
    assert len(preview.cells) == 2 and preview.truncated
    assert preview.cells[0].outputs[0].text.startswith("01234\n… (cut short")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", b"{}", "Only .ipynb"),
        ("a.ipynb", b"{oops", "not valid JSON"),
        ("a.ipynb", b"[" * 100_000, "not valid JSON"),
        ("a.json", b'{"cells": []}', "structure of a notebook"),
    ],
)
def test_what_is_not_a_notebook_says_why(name: str, content: bytes, message: str) -> None:
    with pytest.raises(NotebookError, match=message):
        parse_preview(name, content)


@pytest.mark.parametrize(
    "name, document",
    [
        ("note.json", {"paragraphs": 7}),
        ("report.ipynb", {"nbformat": 4, "worksheets": 7}),
        ("report.ipynb", {"nbformat": 3, "worksheets": [{"cells": 7}]}),
    ],
)
def test_a_stored_notebook_of_the_wrong_shape_is_a_notebook_error(name: str, document: object) -> None:
    with pytest.raises(NotebookError, match="do not have the structure of a notebook"):
        parse_preview(name, json.dumps(document).encode())
