"""System checks: Redis reachability (for the heartbeat), AWS configuration, break-glass login."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

ERROR_REDIS = "atmo.E001"
ERROR_AWS_CONFIG = "atmo.E002"
WARNING_BREAK_GLASS = "atmo.W001"


def check_redis_connected(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Ping the Redis behind the cache; unlike dockerflow's own check, an outage is
    reported as a failed check rather than an exception."""
    import redis
    from django_redis import get_redis_connection

    try:
        get_redis_connection("default").ping()
    except (redis.RedisError, OSError) as exc:
        return [checks.Error(f"Could not connect to redis: {exc}", id=ERROR_REDIS)]
    return []


@checks.register(checks.Tags.compatibility)
def check_aws_config(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    missing = [
        key
        for key in ("CODE_BUCKET", "PUBLIC_DATA_BUCKET", "PRIVATE_DATA_BUCKET", "LOG_BUCKET")
        if not settings.AWS_CONFIG.get(key)
    ]
    if missing:
        return [
            checks.Error(
                f"AWS_CONFIG is missing {', '.join(missing)}",
                hint="Set the matching AWS_*_BUCKET environment variables.",
                id=ERROR_AWS_CONFIG,
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_break_glass_login(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Say at every start while password logins bypass single sign-on."""
    if not settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN:
        return []
    return [
        checks.Warning(
            "ATMO_BREAK_GLASS_PASSWORD_LOGIN is on: /admin/login/ accepts passwords, "
            "bypassing single sign-on.",
            hint="Turn it off as soon as the identity provider works again.",
            id=WARNING_BREAK_GLASS,
        )
    ]
