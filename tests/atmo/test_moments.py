"""atmo.lib.moments and the {% moment %} tag: relative times, the absolute time on hover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from atmo.lib.moments import relative

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(hours=3, minutes=20), "in 3 h"),
        (-timedelta(days=2, hours=5), "2 days ago"),
        (timedelta(days=1), "in 1 day"),
        (-timedelta(minutes=1), "1 min ago"),
        (timedelta(seconds=20), "in under a minute"),
        (-timedelta(seconds=20), "just now"),
    ],
)
def test_it_says_a_moment_in_its_largest_whole_unit(delta: timedelta, said: str) -> None:
    assert relative(NOW + delta, NOW) == said


def test_the_tag_renders_a_time_element_with_the_absolute_time_on_hover() -> None:
    moment = timezone.now() - timedelta(days=2, minutes=5)
    html = Template("{% load atmo %}{% moment value %}").render(Context({"value": moment}))
    title = f"{moment:%Y-%m-%d %H:%M} UTC"
    assert html == f'<time datetime="{moment.isoformat()}" title="{title}" data-relative>2 days ago</time>'


def test_the_tag_shows_a_dash_for_no_moment() -> None:
    assert "—" in Template("{% load atmo %}{% moment None %}").render(Context())


def test_the_next_run_tag_is_markup_with_the_due_badge_once_the_slot_came() -> None:
    class Job:
        is_enabled = True
        expired_date = None

    template = Template("{% load atmo %}{% next_run job slot %}")
    past = template.render(Context({"job": Job(), "slot": timezone.now() - timedelta(minutes=5)}))
    assert past.startswith('<time datetime="') and past.endswith(
        '<span class="badge text-bg-info">due now</span>'
    )
    ahead = template.render(Context({"job": Job(), "slot": timezone.now() + timedelta(hours=3, minutes=1)}))
    assert ahead.startswith('<time datetime="') and ahead.endswith(">in 3 h</time>")
