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


#: EMR's normalization factors of the sizes below ``xlarge``; ``<N>xlarge`` is 8 × N.
#: https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-manage-view-clusters.html
SMALL_SIZE_FACTORS = {"nano": 0.25, "micro": 0.5, "small": 1.0, "medium": 2.0, "large": 4.0, "xlarge": 8.0}


def normalization_factor(instance_type: str) -> float:
    """How many normalized instance hours one hour of ``instance_type`` counts for (c3.4xlarge: 32).

    Raises ``ValueError`` for a name that is not ``<family>.<size>``.
    """
    _, _, size = instance_type.partition(".")
    if size in SMALL_SIZE_FACTORS:
        return SMALL_SIZE_FACTORS[size]
    multiple = size.removesuffix("xlarge")
    if multiple != size and multiple.isdigit() and int(multiple) > 0:
        return 8.0 * int(multiple)
    raise ValueError(f"not an EC2 instance type with a size EMR normalizes: {instance_type!r}")


def started_hours(seconds: float) -> int:
    """The hours EMR counts for ``seconds`` of running: every started hour, at least one once running."""
    return max(1, math.ceil(seconds / 3600)) if seconds > 0 else 0
