"""Settings for the test suite: the real ones in the ``test`` environment.

PostgreSQL when ``DATABASE_URL`` is set, SQLite otherwise; a real Redis from
``REDIS_URL``, or an embedded one started here when it is unset.
"""

from __future__ import annotations

import os

os.environ["ATMO_ENVIRONMENT"] = "test"

if not os.environ.get("REDIS_URL"):
    from localdev.redis import start_embedded_redis

    os.environ["REDIS_URL"] = start_embedded_redis()

# Real AWS must be impossible unless a test opts in: dummy credentials, and any
# endpoint a developer's shell points at is ignored.
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"

from atmo.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
CONSTANCE_REDIS_PREFIX = "constance:atmo-test:"
