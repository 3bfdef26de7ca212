"""The Celery app, with fully jittered exponential backoff for retries.

See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ :
spreading retries uniformly over ``[0, min(cap, base * 2**n)]`` keeps many
workers that hit AWS throttling at once from retrying in lockstep. It is the
formula of Celery's own ``retry_backoff`` with ``retry_jitter``, which the AWS
tasks declare (:class:`atmo.tasks.AWSTask`); this module computes it the same way.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings")


class ExpoBackoffFullJitter:
    """Fully jittered exponential backoff with a ceiling; ``base`` and ``cap`` in whole seconds."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    def expo(self, n: int) -> float:
        """The upper bound of the wait before retry number ``n`` (0-based)."""
        # Clamp the exponent: 2**n for a large n is pointless work once it passes the cap.
        return min(self.cap, self.base * 2 ** min(n, 64))

    def backoff(self, n: int) -> float:
        """A random whole number of seconds between 0 and ``expo(n)``, as Celery's retries wait."""
        return get_exponential_backoff_interval(
            factor=int(self.base), retries=min(n, 64), maximum=int(self.cap), full_jitter=True
        )


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
