"""CSV cells spreadsheets open safely: text that would start a formula is defused, the rest kept."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from atmo.lib.spreadsheet import csv_text, safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30", "'+49 30"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("plain", "plain"),
        ("", ""),
        (None, ""),
        (Decimal("-3.50"), "-3.50"),
        (-2, "-2"),
        (True, "yes"),
        (date(2026, 12, 1), "2026-12-01"),
        (datetime(2026, 12, 1, 8, 30, tzinfo=UTC), "2026-12-01T08:30:00+00:00"),
    ],
)
def test_a_cell_never_starts_a_formula_and_numbers_stay_numbers(value: Any, cell: str) -> None:
    assert safe_cell(value) == cell


def test_the_document_quotes_what_needs_quoting_and_reads_back() -> None:
    text = csv_text(["Name", "Cost"], [['say "hi", then =go', Decimal("1.00")], ["=evil", None]])
    assert text == 'Name,Cost\r\n"say ""hi"", then =go",1.00\r\n\'=evil,\r\n'
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Cost"],
        ['say "hi", then =go', "1.00"],
        ["'=evil", ""],
    ]
