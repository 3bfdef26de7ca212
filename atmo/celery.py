"""The Celery app, with fully jittered exponential backoff for retries.

See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ :
spreading retries uniformly over ``[0, min(cap, base * 2**n)]`` keeps many
workers that hit AWS throttling at once from retrying in lockstep.
"""

from __future__ import annotations

import os
import random

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings")


class ExpoBackoffFullJitter:
    """Fully jittered exponential backoff with a ceiling."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    def expo(self, n: int) -> float:
        """The upper bound of the wait before retry number ``n`` (0-based)."""
        # Clamp the exponent: 2**n for a large n is pointless work once it passes the cap.
        return min(self.cap, self.base * 2 ** min(n, 64))

    def backoff(self, n: int) -> float:
        """A random wait in seconds between 0 and ``expo(n)``."""
        return random.uniform(0, self.expo(n))  # noqa: S311 - jitter, not a secret


class AtmoCelery(Celery):
    """The Celery app class, with the retry wait that ATMO's tasks use."""

    def backoff(self, n: int, cap: float | None = None) -> float:
        """Seconds to wait before retry ``n``: uniform in [0, min(cap, 2**n)].

        ``cap`` defaults to ``ATMO_RETRY_BACKOFF_CAP`` (an hour), which the broker's
        visibility timeout is sized from: a longer wait would get the retry
        delivered twice.
        """
        ceiling = settings.ATMO_RETRY_BACKOFF_CAP if cap is None else cap
        return ExpoBackoffFullJitter(base=1, cap=ceiling).backoff(n)


#: The Celery app: every task module registers with it, ``celery -A atmo.celery`` runs it.
celery = AtmoCelery("atmo")
celery.config_from_object("django.conf:settings", namespace="CELERY")
# redbeat only recognises its settings under their own lower-case names, and
# otherwise falls back to the broker's with a deprecation warning.
celery.conf.update(
    redbeat_redis_url=settings.CELERY_REDBEAT_REDIS_URL,
    redbeat_redis_options=settings.CELERY_REDBEAT_REDIS_OPTIONS,
    redbeat_lock_timeout=settings.CELERY_REDBEAT_LOCK_TIMEOUT,
)
celery.autodiscover_tasks()
