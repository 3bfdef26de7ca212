"""The beat scheduler: redbeat, riding through a Redis that was flushed or restarted.

redbeat writes the static entries (``CELERY_BEAT_SCHEDULE``) only when beat starts,
and stops beat when Redis cannot be reached or the beat lock vanished with the
data. :class:`ReseedingRedBeatScheduler` checks on every tick that the static
entries are still there and writes them again when they are not, waits for Redis
to come back instead of exiting, and takes the lock back (waiting for it, as at
start-up) when another beat may have taken over meanwhile. Spark jobs have no
entry of their own: their slots are in PostgreSQL, and the static
``dispatch_jobs`` entry sends those that came.
"""

from __future__ import annotations

import logging
from typing import Any

from redbeat import RedBeatScheduler
from redbeat.schedulers import get_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: The names of the one-entry-per-job schedule of earlier releases.
JOB_ENTRY_PREFIX = "atmo.jobs.tasks.run_job:"


def _text(key: str | bytes) -> str:
    return key.decode() if isinstance(key, bytes) else key


class ReseedingRedBeatScheduler(RedBeatScheduler):
    """redbeat, whose static entries come back after Redis loses them."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            self.restore_static_entries()
            return super().tick(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            logger.warning("beat: Redis out of reach", extra={"wait_seconds": self.max_interval})
            return self.max_interval
        except LockError:
            # The lock key went with the data (a flush, a restart without it): another
            # beat may hold it now. Sending anything before owning it again could
            # send every due entry twice.
            logger.warning("beat: lock lost, waiting to take it back")
            if self.lock is not None:
                self.lock.acquire()
                logger.info("beat: lock taken back")
            return 0.0

    def setup_schedule(self) -> None:
        super().setup_schedule()
        self.remove_job_entries()

    def remove_job_entries(self) -> int:
        """Drop the per-job entries earlier releases kept; returns how many.

        Jobs are sent by the dispatcher (:func:`atmo.jobs.tasks.dispatch_jobs`),
        which reads their slots from the database.
        """
        client = get_redis(self.app)
        schedule_key = self.app.redbeat_conf.schedule_key
        prefix = self.Entry.generate_key(self.app, JOB_ENTRY_PREFIX)
        keys = [key for key in client.zrange(schedule_key, 0, -1) if _text(key).startswith(prefix)]
        if keys:
            client.zrem(schedule_key, *keys)
            client.delete(*keys)
        return len(keys)

    def static_entry_keys(self) -> list[str]:
        return [self.Entry.generate_key(self.app, name) for name in self.app.redbeat_conf.schedule]

    def restore_static_entries(self) -> bool:
        """Write the static entries again when any is missing; returns whether it did.

        One EXISTS per tick. Entries still there keep their last run time (see
        redbeat's ``update_from_dict``), so nothing is sent twice.
        """
        keys = self.static_entry_keys()
        if not keys or get_redis(self.app).exists(*keys) == len(keys):
            return False
        logger.warning("beat: static schedule entries missing in Redis, writing them again")
        self.setup_schedule()
        return True
