"""Project-wide Celery tasks, and the base of every task that calls AWS."""

from __future__ import annotations

import logging
from importlib import import_module

from celery.contrib.django.task import DjangoTask
from django.conf import settings
from guardian.utils import clean_orphan_obj_perms

from atmo.celery import celery
from atmo.provisioners import TRANSIENT_AWS_ERRORS

logger = logging.getLogger(__name__)

# How often an AWS task tries again after throttling or a lost connection. Retry
# n (from 0) waits a random 0 to 2**n seconds (see AWSTask), so k retries wait
# 2**k - 1 seconds at most in all, half that on average.

#: A sweep runs again within minutes anyway: 31 s of retries at most ride out a
#: burst of throttling, and the next sweep picks up whatever is left.
RETRIES_OF_A_SWEEP = 5
#: Someone waits for the answer (a cluster being launched): 127 s at most, then
#: they are told to try again rather than left waiting.
RETRIES_WHILE_SOMEONE_WAITS = 7
#: A scheduled run is owed to its owner: 511 s of AWS retries at most. A look at a
#: run still going waits ten minutes and counts as a retry too: nine cover 90 minutes.
RETRIES_OF_A_SCHEDULED_RUN = 9


class AWSTask(DjangoTask):
    """Base of the tasks that call AWS: AWS throttling or out of reach is retried, with backoff.

    The wait before retry ``n`` is :meth:`atmo.celery.AtmoCelery.backoff`'s: a
    random 0 to ``min(ATMO_RETRY_BACKOFF_CAP, 2**n)`` seconds (Celery's
    ``retry_backoff`` with full ``retry_jitter`` is that formula). AWS refusing a
    call is not retried: asking again gets the same answer.
    """

    autoretry_for = TRANSIENT_AWS_ERRORS
    #: Seconds before the first retry at most; each retry doubles it.
    retry_backoff = 1
    #: No wait longer than the cap, which the broker's visibility timeout is sized from.
    retry_backoff_max = settings.ATMO_RETRY_BACKOFF_CAP
    retry_jitter = True
    max_retries = RETRIES_OF_A_SWEEP

    @property
    def is_last_attempt(self) -> bool:
        """No retry is left: a transient AWS error now is the last word."""
        return self.request.retries >= self.max_retries


@celery.task
def cleanup_permissions() -> int:
    """Delete object permissions whose object no longer exists; returns how many."""
    removed = clean_orphan_obj_perms()
    logger.info("orphan object permissions removed", extra={"removed": removed})
    return removed


@celery.task
def clear_expired_sessions() -> None:
    """Delete the sessions past their expiry from the database (Django's ``clearsessions``)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
