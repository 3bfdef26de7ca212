"""A cost report as the admin page shows it: sortable headers, cells, links, and its CSV file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from atmo.costs.reports import Column, Period, Report
from atmo.lib.costs import dollars
from atmo.lib.spreadsheet import csv_text


@dataclass(frozen=True)
class Header:
    """A column heading: the address that sorts by it, and how the table is sorted by it now."""

    column: Column
    query: str
    #: ``ascending``, ``descending`` or ``none``, as ``aria-sort`` says it.
    sorted: str


@dataclass(frozen=True)
class Cell:
    value: Any
    column: Column
    url: str = ""


@dataclass(frozen=True)
class ReportTable:
    """One report for one period in one order, with its rows fetched."""

    report: Report
    period: Period
    order: str
    rows: list[dict[str, Any]]

    @classmethod
    def of(cls, report: Report, params: QueryDict) -> ReportTable:
        """The table ``?month=`` and ``?o=`` ask for; values it cannot use give the defaults."""
        period = Period.parse(params.get("month"))
        order = report.order(params.get("o"))
        return cls(report, period, order, report.rows(period, order))

    def query(self, **changes: str) -> str:
        """This table's query string, with ``changes``."""
        return urlencode({"month": self.period.value, "o": self.order, **changes})

    @property
    def headers(self) -> list[Header]:
        """Each column's heading; a click sorts by it, again reverses. Numbers start biggest first."""
        descending, current = self.order.startswith("-"), self.order.removeprefix("-")
        headers = []
        for column in self.report.columns:
            if column.key == current:
                state = "descending" if descending else "ascending"
                order = column.key if descending else f"-{column.key}"
            else:
                state = "none"
                order = f"-{column.key}" if column.numeric or column.kind == "month" else column.key
            headers.append(Header(column, self.query(o=order), state))
        return headers

    @property
    def body(self) -> list[list[Cell]]:
        return [self._cells(row) for row in self.rows]

    def _cells(self, row: dict[str, Any]) -> list[Cell]:
        cells = [Cell(row[column.key], column) for column in self.report.columns]
        if self.report.link and row.get(self.report.link[1]) is not None:
            name, key = self.report.link
            cells[0] = Cell(cells[0].value, cells[0].column, reverse(name, args=[row[key]]))
        return cells

    @property
    def filename(self) -> str:
        return f"atmo-costs-{self.report.slug}-{self.period.value if self.report.monthly else Period.ALL}.csv"

    def csv(self) -> str:
        header = [column.label for column in self.report.columns]
        columns = self.report.columns
        rows = ([csv_value(row[column.key], column.kind) for column in columns] for row in self.rows)
        return csv_text(header, rows)


def csv_value(value: Any, kind: str) -> Any:
    """A cell as the CSV file has it: money in cents, months as ``YYYY-MM``."""
    if value is None:
        return None
    if kind == "money":
        return dollars(Decimal(value))
    if kind == "month" and isinstance(value, datetime):
        return value.strftime("%Y-%m")
    return value
