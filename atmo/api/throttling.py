"""Requests per minute per access token, counted in Redis (the live setting ``API_RATE_LIMIT``).

A fixed one-minute window per token: one ``INCR`` (and an ``EXPIRE`` the first
time) per request. When Redis cannot be reached the request goes through
(failing open, logged): a rate limit protects the site, it must not take the
API down with the cache.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from constance import config as live
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from atmo.api.models import AccessToken

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def rate_key(request: Request, window: int) -> str | None:
    """The counter of the requester in ``window``: per token, or per user for a session."""
    if isinstance(request.auth, AccessToken):
        return f"api:rate:token:{request.auth.pk}:{window}"
    if request.user and request.user.is_authenticated:
        return f"api:rate:user:{request.user.pk}:{window}"
    return None


class TokenRateThrottle(BaseThrottle):
    """Refuses a requester's requests past ``API_RATE_LIMIT`` in the current minute."""

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = rate_key(request, window)
        if key is None:
            return True
        try:
            # The live setting lives in Redis too: read it inside the fail-open guard.
            limit = int(live.API_RATE_LIMIT)
            if limit <= 0:
                return True
            connection = get_redis_connection("default")
            with connection.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS + 5)  # the key names its window: no harm in renewing
                count = pipe.execute()[0]
        except RedisError:
            logger.warning("API rate limit not checked: Redis unavailable", exc_info=True)
            return True
        if count <= limit:
            return True
        self.retry_after = (window + 1) * WINDOW_SECONDS - now
        return False

    def wait(self) -> float | None:
        return self.retry_after
