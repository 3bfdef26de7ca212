"""Change stamps: one token per kind of data, replaced whenever that data is written.

A page cached with the stamps it was rendered under (:mod:`atmo.pagecache`) is
current as long as they are. Every write the ORM sends (saves, deletes,
``update()``, ``bulk_update()``, raw SQL through Django's connection) passes
:func:`record_write`, installed on each database connection, which replaces the
stamp of the written table's topic twice: at once, and again after the
transaction commits. The first makes a test's change visible inside its
transaction; the second makes sure that a page rendered from the data before
the commit, but stored under the first new stamp, is not served afterwards.

Stamps are random tokens, not counters, so that after Redis is flushed no stamp
can repeat an earlier one and revive a page or an ETag a client kept. A stamp
missing from Redis is simply new. Writes outside Django (psql) are not seen:
cached pages also expire with the minute (see :mod:`atmo.pagecache`).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache as redis_cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: Topics of the tables of each app; an app not named here (and not ignored) is "other",
#: which every cached page depends on.
TOPIC_OF_APP = {
    "clusters": "clusters",
    "jobs": "jobs",
    "keys": "keys",
    "costs": "costs",
    "notifications": "webhooks",
    "auth": "access",
    "guardian": "access",
    "contenttypes": "access",
    "constance": "site",
}
#: Apps whose tables no cached page shows, and which change all the time: sessions,
#: the admin's log, the sweeps' heartbeats, metrics, API tokens' last use, tombstones.
IGNORED_APPS = frozenset({"sessions", "admin", "monitoring", "stats", "api", "atmo"})
#: What every page depends on: who may see what, the live settings, anything unmapped.
SHARED_TOPICS = ("access", "site", "other")

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)
STAMP_KEY = "atmo:stamp:{}"


@cache
def topics_by_table() -> dict[str, str | None]:
    """Each model table's topic (None: ignored), m2m tables included."""
    topics: dict[str, str | None] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.app_label
        topics[model._meta.db_table] = None if label in IGNORED_APPS else TOPIC_OF_APP.get(label, "other")
    return topics


def topic_of(sql: str) -> str | None:
    """The topic a statement writes to, or None for a read (or an ignored table)."""
    if sql[:6].upper() not in ("INSERT", "UPDATE", "DELETE"):
        return None
    match = WRITE.match(sql)
    if match is None:
        return None
    return topics_by_table().get(match.group(1), "other")


def bump(*topics: str) -> None:
    """Give ``topics`` new stamps once the write is committed, and inside a transaction at once too."""
    if transaction.get_connection().in_atomic_block:
        renew(topics)
    # Outside a transaction (autocommit), on_commit() runs the renewal right away: once is enough.
    transaction.on_commit(lambda: renew(topics))


def renew(topics: Iterable[str]) -> None:
    topics = list(topics)
    try:
        redis_cache.set_many(
            {STAMP_KEY.format(topic): secrets.token_hex(8) for topic in topics}, timeout=None
        )
    except RedisError:
        # The write itself is done and must not fail for this. A Redis that could not take the
        # stamp lost (or will lose) the cached pages too, and those expire within two minutes.
        logger.warning("Could not renew the change stamps of %s", ", ".join(topics), exc_info=True)


def keys(topics: Iterable[str]) -> list[str]:
    return [STAMP_KEY.format(topic) for topic in topics]


def record_write(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """A database execute wrapper: runs the statement, then bumps the topic it wrote to."""
    result = execute(sql, params, many, context)
    topic = topic_of(sql)
    if topic is not None:
        bump(topic)
    return result


def live_setting_changed(key: str, old_value: Any, new_value: Any, **kwargs: Any) -> None:
    """``config_updated`` receiver (constance keeps live settings in Redis, not the database).

    Reading a setting that Redis does not hold stores its default, and says so: the
    page shows the same value as before, so that is no change.
    """
    default = settings.CONSTANCE_CONFIG.get(key, (None,))[0]
    if old_value is None and new_value == default:
        return
    # Not a database write: nothing to wait for.
    renew(["site"])


def watch_writes(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: every statement of the connection passes :func:`record_write`."""
    if record_write not in connection.execute_wrappers:
        connection.execute_wrappers.append(record_write)
