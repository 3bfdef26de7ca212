"""Settings of the processes the chaos harness runs: ATMO's, with time compressed.

See :mod:`localdev.chaos`. Timings that bound real work (a task's time
limit, the SMTP timeout) stay in real seconds; those that measure the schedule
are scaled by :data:`ATMO_CHAOS_HOUR_SECONDS`.
"""

from __future__ import annotations

from datetime import timedelta

from atmo.lib.env import envfloat, envstr
from atmo.settings import *  # noqa: F403
from atmo.settings import CELERY_BEAT_SCHEDULE, CELERY_BROKER_TRANSPORT_OPTIONS, INSTALLED_APPS

#: Real seconds that one hour of the schedule lasts.
ATMO_CHAOS_HOUR_SECONDS = envfloat("ATMO_CHAOS_HOUR_SECONDS", 1.5)
#: Where the harness arms its kill points (see :mod:`localdev.chaos.patches`).
ATMO_CHAOS_DIR = envstr("ATMO_CHAOS_DIR")
#: ``worker``, ``beat`` or empty (the harness itself): only workers have kill points.
ATMO_CHAOS_ROLE = envstr("ATMO_CHAOS_ROLE")

INSTALLED_APPS = [*INSTALLED_APPS, "localdev.chaos.apps.ChaosConfig"]

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_TIMEOUT = 10

CELERY_TASK_SOFT_TIME_LIMIT = 20
CELERY_TASK_TIME_LIMIT = 30
# The longest retry wait is an hour of the schedule, as in production.
ATMO_RETRY_BACKOFF_CAP = ATMO_CHAOS_HOUR_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": ATMO_RETRY_BACKOFF_CAP + CELERY_TASK_TIME_LIMIT + 5,
}
CELERY_BEAT_MAX_LOOP_INTERVAL = 0.5
CELERY_REDBEAT_LOCK_TIMEOUT = 3

#: Real seconds between two runs of each periodic sweep: the job sweeps often
#: (runs last about an hour of the schedule), the rest seldom (no clusters here).
SWEEP_SECONDS = {
    "dispatch_jobs": 1,
    "update_jobs_statuses": 2,
    "send_run_alert_mails": 2,
    "retry_failed_runs": 2,
    "expire_jobs": 4,
    "update_clusters": 15,
    "deactivate_clusters": 15,
    "send_expiration_mails": 15,
    "check_budgets": 15,
    "sweep_webhook_deliveries": 15,
    "clean_orphan_obj_perms": 60,
    "clear_expired_sessions": 60,
}
CELERY_BEAT_SCHEDULE = {
    name: {
        **entry,
        "schedule": timedelta(seconds=SWEEP_SECONDS[name]),
        "options": {"expires": SWEEP_SECONDS[name]},
    }
    for name, entry in CELERY_BEAT_SCHEDULE.items()
}
