"""Arithmetic on EMR clusters: machine counts and the durations the metrics record."""

from __future__ import annotations

import math
from datetime import datetime


def instance_count(size: int | None) -> int:
    """Machines EMR runs for a size: 1 is a lone master, N is a master and N workers."""
    size = size or 1
    return 1 if size <= 1 else size + 1


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end``, days included."""
    return round((end - start).total_seconds())


def normalized_instance_hours(started: datetime, finished: datetime, size: int | None) -> int:
    """Started hours of the cluster times its machines, as EMR bills them."""
    hours = (finished - started).total_seconds() / 3600
    return math.ceil(hours) * instance_count(size)
