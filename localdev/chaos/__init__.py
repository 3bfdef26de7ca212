"""The chaos harness behind ``make chaos`` (``bin/chaos.py``): many days of schedules under faults.

It runs the scheduler, workers and stores as real processes: two redbeat
schedulers and two Celery workers against PostgreSQL (a database of its own,
reached through :class:`~localdev.faults.SlowProxy`), an embedded Redis
that keeps an append-only file (so it can crash and come back), the local AWS
emulator (behind :class:`~localdev.faults.AnswerDroppingProxy`) and an
SMTP server that records every mail it accepts.

Time compression: the app processes load :mod:`localdev.chaos.settings`,
which makes an hour last ``ATMO_CHAOS_HOUR_SECONDS`` (1.5 s by default, so a
daily job runs every 36 s) wherever today's code counts hours for schedules
and timeouts (:mod:`localdev.chaos.patches` lists each place), and which
sizes the Celery and redbeat timings (retry cap, visibility timeout, beat loop
and lock, sweeps) to match. The jobs themselves are ordinary daily jobs whose
start dates the harness sets. The emulator runs with its own compressed clock
(``--speed``), so that a run takes about an hour of simulated time.

* :mod:`~localdev.chaos.stack` starts, supervises and breaks the processes;
* :mod:`~localdev.chaos.counts` reads the database and the mail server and
  counts what went wrong.
"""
