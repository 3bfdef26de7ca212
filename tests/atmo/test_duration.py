from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template

from atmo.templatetags import duration


@pytest.mark.parametrize(
    "value, text",
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=2, seconds=10), "2 min 10 s"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=1, minutes=2, seconds=3), "1 h 2 min"),
        (timedelta(hours=3, seconds=9), "3 h"),
        (timedelta(days=1, hours=2, minutes=30), "1 d 2 h"),
        (timedelta(days=40, hours=23, minutes=59), "40 d 23 h"),
        (timedelta(milliseconds=900), "0 s"),
    ],
)
def test_duration_shows_the_two_largest_units(value: timedelta, text: str) -> None:
    assert duration(value) == text


def test_duration_counts_whole_days() -> None:
    # timedelta.seconds would drop the day and say "2 h".
    assert duration(timedelta(days=2, hours=2)) == "2 d 2 h"


def test_duration_shows_clock_skew_as_zero() -> None:
    assert duration(timedelta(seconds=-3)) == "0 s"


@pytest.mark.parametrize("value", [None, "", "soon", 12])
def test_duration_of_anything_else_is_empty(value: object) -> None:
    assert duration(value) == ""  # type: ignore[arg-type]


def test_duration_is_a_template_filter() -> None:
    template = Template("{% load atmo %}{{ took|duration }}")
    assert template.render(Context({"took": timedelta(seconds=130)})) == "2 min 10 s"
