"""What chaos mode changes in the running code, all in one place.

:func:`compress_time` makes an hour last ``hour`` real seconds in each place
the code counts hours or minutes of the schedule: the interval of the slots
(:attr:`~atmo.jobs.schedules.SparkJobSchedule.run_every`, which the one
next-slot function reads), timeouts and waits.

:func:`install_kill_points` lets the harness kill a worker at a chosen point:
the harness creates ``kill-<point>`` in its folder, and the first worker that
reaches the point deletes the file and kills its whole process group (the
Celery main process with its pool), as a lost machine would.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Real time a RunJobFlow may take, lookups after a lost answer included.
AWS_CALL_BOUND = timedelta(seconds=15)
#: Real seconds a mail claim lasts (see :data:`atmo.mail.MAIL_LEASE`): a few SMTP
#: timeouts of the chaos settings, as sending takes real time whatever the scale.
MAIL_LEASE_SECONDS = 30
#: The points a worker can be killed at.
KILL_POINTS = ("before-request", "after-request", "while-mailing")


def compress_time(hour: float) -> None:
    """Make one hour of schedules, timeouts and retry waits last ``hour`` real seconds."""
    from atmo import mail
    from atmo.jobs import models, schedules, tasks
    from atmo.models import JobFlowModel

    scale = hour / 3600

    def scaled_timedelta(*args: Any, **kwargs: Any) -> timedelta:
        return timedelta(*args, **kwargs) * scale

    # SparkJob.has_timed_out: timedelta(hours=job_timeout).
    # A function where the module has the class: what the patch is for.
    models.timedelta = scaled_timedelta  # type: ignore[misc,assignment]
    # These two wait for AWS calls under way, which take real seconds whatever the
    # scale: shorter than a RunJobFlow (with its lookups after a lost answer), a
    # request still in flight would be taken for one its worker lost.
    models.STALE_REQUEST_AFTER = max(timedelta(minutes=15) * scale, AWS_CALL_BOUND)
    JobFlowModel.MISSING_GRACE = max(timedelta(minutes=10) * scale, AWS_CALL_BOUND)
    tasks.REDISPATCH_SECONDS = max(1, round(tasks.REDISPATCH_SECONDS * scale))
    mail.MAIL_LEASE = timedelta(seconds=MAIL_LEASE_SECONDS)
    schedules.SparkJobSchedule.run_every = property(  # type: ignore[assignment,method-assign]
        lambda self: timedelta(hours=self.spark_job.interval_in_hours) * scale
    )


def install_kill_points(directory: Path) -> None:
    """Wrap the places a worker can be killed at (in worker processes only)."""
    from atmo import mail
    from atmo.jobs.provisioners import SparkJobProvisioner

    start_run = SparkJobProvisioner.run

    @functools.wraps(start_run)
    def run(self: SparkJobProvisioner, *args: Any, **kwargs: Any) -> str:
        die_if_armed(directory, "before-request")
        jobflow_id = start_run(self, *args, **kwargs)
        die_if_armed(directory, "after-request")
        return jobflow_id

    send = mail.send_templated_mail

    @functools.wraps(send)
    def send_templated_mail(*args: Any, **kwargs: Any) -> None:
        die_if_armed(directory, "while-mailing")
        send(*args, **kwargs)

    SparkJobProvisioner.run = run  # type: ignore[method-assign]
    mail.send_templated_mail = send_templated_mail


def die_if_armed(directory: Path, point: str) -> None:
    """Kill this worker when the harness armed ``point`` and no other worker took it first."""
    try:
        (directory / f"kill-{point}").unlink()
    except FileNotFoundError:
        return
    logger.warning("chaos: worker killed", extra={"point": point, "pid": os.getpid()})
    os.killpg(os.getpgid(0), signal.SIGKILL)
