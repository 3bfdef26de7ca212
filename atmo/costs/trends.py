"""A job's recent runs as a chart: duration and cost per run, coloured by outcome, as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from atmo.jobs.models import SparkJob, SparkJobRun

#: How many runs the job page's chart shows.
TREND_RUNS = 20

#: The drawing, in SVG user units: two panels (duration above, cost below) of one slot per run.
WIDTH = 320
PANEL_HEIGHT = 64
PANEL_GAP = 18
LABEL_HEIGHT = 12
SLOT = WIDTH / TREND_RUNS
BAR = SLOT * 0.7


class Outcome(StrEnum):
    """How a run ended, as the chart colours it."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def colour(self) -> str:
        # Bootstrap's success, danger and warning colours, readable on white.
        return {"succeeded": "#198754", "failed": "#dc3545", "timed_out": "#b35c00"}[self.value]


def outcome_of(run: SparkJobRun) -> Outcome:
    if run.timed_out:
        return Outcome.TIMED_OUT
    if run.is_failed or run.outcome_status == "failed":
        return Outcome.FAILED
    return Outcome.SUCCEEDED


def duration_of(run: SparkJobRun) -> timedelta | None:
    """From the run's slot being due (or its request) to its end: what the job's timeout counts."""
    if run.finished_at is None:
        return None
    return max(run.finished_at - (run.scheduled_at or run.created_at), timedelta(0))


def ended_runs(job: SparkJob, limit: int = TREND_RUNS) -> list[SparkJobRun]:
    """The job's last ``limit`` runs that ended, oldest first (one query)."""
    runs = job.runs.final().filter(finished_at__isnull=False).order_by("-created_at")[:limit]
    return list(reversed(runs))


@dataclass(frozen=True)
class Bar:
    """One run in the chart: its numbers, and the rectangles that draw them."""

    run: SparkJobRun
    outcome: Outcome
    duration: timedelta
    cost: Decimal | None
    x: float
    duration_height: float
    cost_height: float

    @property
    def duration_y(self) -> float:
        return LABEL_HEIGHT + PANEL_HEIGHT - self.duration_height

    @property
    def cost_y(self) -> float:
        return 2 * LABEL_HEIGHT + PANEL_GAP + 2 * PANEL_HEIGHT - self.cost_height


def _height(value: float, top: float) -> float:
    """A bar's height in the panel; a value above zero stays visible (at least one unit)."""
    if top <= 0 or value <= 0:
        return 0.0
    return round(max(PANEL_HEIGHT * value / top, 1.0), 2)


@dataclass(frozen=True)
class Trend:
    """The chart of a job's recent runs, ready for ``costs/_job_trend.html``."""

    bars: list[Bar]
    longest: timedelta
    dearest: Decimal

    WIDTH = WIDTH
    HEIGHT = 2 * (PANEL_HEIGHT + LABEL_HEIGHT) + PANEL_GAP
    BAR = round(BAR, 2)
    PANEL_HEIGHT = PANEL_HEIGHT
    LABEL_HEIGHT = LABEL_HEIGHT
    COST_LABEL_Y = 2 * LABEL_HEIGHT + PANEL_GAP + PANEL_HEIGHT - 3
    COST_BASE_Y = 2 * LABEL_HEIGHT + PANEL_GAP + 2 * PANEL_HEIGHT

    @classmethod
    def of(cls, runs: list[SparkJobRun]) -> Trend:
        measured = [(run, duration) for run in runs if (duration := duration_of(run)) is not None]
        longest = max((duration for _, duration in measured), default=timedelta(0))
        dearest = max((run.cost for run, _ in measured if run.cost is not None), default=Decimal(0))
        bars = [
            Bar(
                run=run,
                outcome=outcome_of(run),
                duration=duration,
                cost=run.cost,
                x=round(index * SLOT + (SLOT - BAR) / 2, 2),
                duration_height=_height(duration.total_seconds(), longest.total_seconds()),
                cost_height=_height(float(run.cost or 0), float(dearest)),
            )
            for index, (run, duration) in enumerate(measured)
        ]
        return cls(bars, longest, dearest)

    @property
    def outcomes(self) -> list[Outcome]:
        """The outcomes present, for the legend."""
        seen = {bar.outcome for bar in self.bars}
        return [outcome for outcome in Outcome if outcome in seen]

    def summary(self) -> dict[str, Any]:
        counts = {outcome: sum(bar.outcome == outcome for bar in self.bars) for outcome in Outcome}
        return {"runs": len(self.bars), **{outcome.value: count for outcome, count in counts.items()}}
