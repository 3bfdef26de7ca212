"""Project-wide Celery tasks."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from guardian.utils import clean_orphan_obj_perms

from atmo.celery import celery

logger = logging.getLogger(__name__)


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
