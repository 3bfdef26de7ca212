"""The latest AWS errors and mail failures, for the admin's system page.

Kept in Redis, in short capped lists: they are recent history for a person to
read, and Redis, unlike the database, is outside the transaction the failure
happened in (an AWS error inside ``Cluster.provision()`` rolls that transaction
back; a row written there would vanish with it). A Redis outage loses the
entry, never the caller's work.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)

AWS_ERRORS_KEY = "atmo:monitoring:aws-errors"
MAIL_FAILURES_KEY = "atmo:monitoring:mail-failures"
#: Entries kept per list.
KEEP = 200


def remember(key: str, **entry: Any) -> None:
    """Add ``entry`` (with the current time) to the front of the list at ``key``."""
    value = json.dumps({"at": time.time(), **entry}, default=str)
    try:
        with get_redis_connection("default").pipeline() as pipe:
            pipe.lpush(key, value)
            pipe.ltrim(key, 0, KEEP - 1)
            pipe.execute()
    except (redis.RedisError, OSError) as exc:
        logger.warning("incident not kept", extra={"key": key, "error": str(exc)})


def recent(key: str, limit: int = KEEP) -> list[dict[str, Any]]:
    """The latest entries at ``key``, newest first, each with its time as ``when``; empty when
    Redis cannot be read."""
    try:
        raw = get_redis_connection("default").lrange(key, 0, limit - 1)
    except (redis.RedisError, OSError):
        return []
    entries = []
    for item in raw:
        try:
            entry = json.loads(item)
            entry["when"] = datetime.fromtimestamp(float(entry["at"]), tz=UTC)
        except (ValueError, KeyError, TypeError):
            continue
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class ErrorCode:
    """How often one AWS error code was seen lately, and the latest occurrence."""

    code: str
    count: int
    latest: dict[str, Any]


def aws_errors_by_code(since: float) -> list[ErrorCode]:
    """The AWS errors kept since ``since`` (a UNIX time), grouped by code, most frequent first."""
    entries = [entry for entry in recent(AWS_ERRORS_KEY) if entry.get("at", 0) >= since]
    counts = Counter(entry.get("code", "") for entry in entries)
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        latest.setdefault(entry.get("code", ""), entry)
    return [ErrorCode(code, count, latest[code]) for code, count in counts.most_common()]
