"""The local stack of ``make run``, inside the test process, for browser journeys.

What `make run` spreads over processes runs here in threads, around pytest-django's
live server:

* local AWS: `localdev.aws.LocalAWS` (moto server, seeded buckets, EMR clusters
  that move through their states on a clock), with ``AWS_ENDPOINT_URL`` pointing every
  boto3 client of the application at it (its public data bucket is readable by
  anyone, as in AWS);
* the Celery worker: tasks run eagerly, in the thread that enqueues them (so
  ``provision_cluster.delay_on_commit`` runs in the request's thread once the new row
  is committed);
* Celery beat: a `Beat` thread calls the periodic tasks every few tenths of a second
  (``update_clusters`` by default, as the redbeat schedule does every
  ``ATMO_CLUSTER_SYNC_SECONDS`` in production; a journey may ask for more, e.g. the
  Spark job status sync and alert mails, through the ``beat_tasks`` fixture).

Everything stops before pytest-django empties the database, see `ServerGate`.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections

from atmo.celery import celery
from localdev.aws import DUMMY_CREDENTIALS, Buckets, LocalAWS

logger = logging.getLogger(__name__)

#: Delay factor of the emulated EMR: a cluster is ready about 2 s after it is requested.
AWS_SPEED = 0.2
#: Seconds between two runs of the stand-in for the beat schedule.
BEAT_INTERVAL = 0.3
#: Seconds the pages wait between their change checks (``data-poll-interval``).
POLL_INTERVAL = 0.5
#: Seconds teardown waits for the requests still being served.
DRAIN_TIMEOUT = 10.0

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: A periodic task as the beat stand-in calls it: directly, with no arguments.
BeatTask = Callable[[], object]


def settings_buckets() -> Buckets:
    """The buckets the application will ask for, as the Django settings name them."""
    aws = settings.AWS_CONFIG
    return Buckets(
        code=aws["CODE_BUCKET"],
        public_data=aws["PUBLIC_DATA_BUCKET"],
        private_data=aws["PRIVATE_DATA_BUCKET"],
        log=aws["LOG_BUCKET"],
        # The live setting's default: Redis is emptied before each test, so it is the value in use.
        spark_emr=settings.CONSTANCE_CONFIG["AWS_SPARK_EMR_BUCKET"][0],
    )


class ServerGate:
    """WSGI middleware put around the live server's application for one test.

    * It counts the requests being served, so that teardown can wait for them: a
      request still running while pytest-django truncates the tables can deadlock
      with the truncation on PostgreSQL.
    * Once closed, it answers 503 without touching the database.
    * Given a lock, it serialises the requests with the `Beat` thread (and with the
      test's own queries, see `LocalStack.database`). That is needed on SQLite, see
      `needs_serialising`.
    """

    def __init__(self, app: WSGIApp, lock: threading.Lock | None) -> None:
        self.app = app
        self.lock = lock
        self._changed = threading.Condition()
        self._in_flight = 0
        self._closed = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._changed:
            if self._closed:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"The test is over.\n"]
            self._in_flight += 1
        try:
            with self.lock or nullcontext():
                response = self.app(environ, start_response)
                try:
                    # The whole body now, so that all of the request's work is done here.
                    return list(response)
                finally:
                    close = getattr(response, "close", None)
                    if close is not None:
                        close()  # Django's request_finished: connections are closed here
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def close(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Refuse new requests and wait for those being served."""
        with self._changed:
            self._closed = True
            if not self._changed.wait_for(lambda: self._in_flight == 0, timeout):
                logger.warning("%d live-server requests still running after %.0f s", self._in_flight, timeout)


def cluster_sync_tasks() -> list[BeatTask]:
    """What `Beat` runs unless told otherwise: the cluster status sync."""
    from atmo.clusters.tasks import update_clusters

    return [update_clusters]


def task_name(task: BeatTask) -> str:
    return str(getattr(task, "name", None) or getattr(task, "__qualname__", None) or task)


class Beat:
    """Stand-in for Celery beat: runs its ``tasks`` in turn every ``interval`` seconds, in a thread.

    In production the redbeat schedule enqueues each task and a worker runs it; here
    each is called directly (the tasks they enqueue, e.g. the master-address one, run
    eagerly in this thread too). ``tasks`` defaults to `cluster_sync_tasks`. An exception
    is logged and kept in `errors` for the test to check; the other tasks still run.
    `paused()` holds every task back, e.g. to look at a page before the cluster moves on.
    """

    def __init__(
        self,
        interval: float = BEAT_INTERVAL,
        lock: threading.Lock | None = None,
        connections_override: dict[str, Any] | None = None,
        tasks: Sequence[BeatTask] | None = None,
    ) -> None:
        self.interval = interval
        self.lock = lock
        self.tasks: list[BeatTask] = list(tasks) if tasks is not None else cluster_sync_tasks()
        self.errors: list[BaseException] = []
        #: Completed ticks (each runs every task once).
        self.runs = 0
        self._connections_override = dict(connections_override or {})
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._tick = threading.Lock()
        self._ticked = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="beat-stand-in", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=DRAIN_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError("the beat thread did not stop")

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No task runs inside the block (a tick already running is waited for)."""
        self._running.clear()
        with self._tick:
            pass
        try:
            yield
        finally:
            self._running.set()

    def wait_for_ticks(self, count: int = 1, timeout: float = DRAIN_TIMEOUT) -> None:
        """Block until ``count`` more ticks have completed (after whatever the test just did)."""
        with self._ticked:
            target = self.runs + count
            if not self._ticked.wait_for(lambda: self.runs >= target or self._stop.is_set(), timeout):
                raise TimeoutError(f"the beat stand-in did not tick {count} more time(s) in {timeout} s")

    def _run(self) -> None:
        # The live server's trick: share the test's in-memory SQLite connection.
        for alias, connection in self._connections_override.items():
            connections[alias] = connection
        try:
            while not self._stop.wait(self.interval):
                with self._tick:
                    if not self._running.is_set() or self._stop.is_set():
                        continue
                    with self.lock or nullcontext():
                        for task in self.tasks:
                            self._call(task)
                with self._ticked:
                    self.runs += 1
                    self._ticked.notify_all()
        finally:
            if not self._connections_override:
                # This thread's own connections: none may be left open for the flush.
                connections.close_all()

    def _call(self, task: BeatTask) -> None:
        try:
            task()
        except Exception as exc:
            logger.exception("%s failed", task_name(task))
            self.errors.append(exc)


@contextmanager
def eager_celery() -> Iterator[None]:
    """Tasks run at once in the caller's thread, and their exceptions reach the caller.

    Set on the app itself: it read the Django settings when it was configured, so a
    later change of ``settings.CELERY_TASK_ALWAYS_EAGER`` would not reach it.
    """
    conf = celery.conf
    previous = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = previous


@contextmanager
def gated(live_server: Any, lock: threading.Lock | None) -> Iterator[ServerGate]:
    """Puts a `ServerGate` around the live server's application until the block ends."""
    httpd = live_server.thread.httpd
    original = httpd.get_app()
    gate = ServerGate(original, lock)
    httpd.set_app(gate)
    try:
        yield gate
    finally:
        gate.close()
        httpd.set_app(original)


def needs_serialising() -> bool:
    """Whether the threads of the stack must take turns with the database: on SQLite.

    The test database is then one in-memory database in shared-cache mode, and
    concurrent use goes wrong either way the threads reach it:

    * pytest-django hands the live server's threads the test's own connection when
      the server starts after the database exists; Django keeps the transaction state
      on the connection object, so an atomic block in one thread and queries in
      another would mix;
    * otherwise (the session's live server started first, or the test thread's
      connections live in the asyncio context Playwright leaves behind) each thread
      opens its own connection, and shared-cache table locks fail at once instead of
      waiting: a query while another thread's transaction writes to the same table
      raises "database table is locked".
    """
    return any(connection.vendor == "sqlite" for connection in connections.all())


def reset_moto(endpoint_url: str) -> None:
    """Forget every cluster and bucket: moto keeps them in module globals."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own local server
        pass


@dataclass
class LocalStack:
    """What a journey test may reach into."""

    aws: LocalAWS
    beat: Beat
    gate: ServerGate

    def emr(self) -> Any:
        """An EMR client of the emulator, to compare the pages with what "AWS" says."""
        return self.aws.client("emr")

    def s3(self) -> Any:
        """An S3 client of the emulator, to look at the buckets behind the pages."""
        return self.aws.client("s3")

    @contextmanager
    def database(self) -> Iterator[None]:
        """The test's own ORM queries go inside this block.

        On SQLite the block takes the lock of the live server's requests and the beat
        thread (see `needs_serialising`); on PostgreSQL it does nothing.
        """
        with self.gate.lock or nullcontext():
            yield


@contextmanager
def running_local_stack(
    live_server: Any,
    monkeypatch: Any,
    stop_browser: Callable[[], None],
    beat_tasks: Sequence[BeatTask] | None = None,
) -> Iterator[LocalStack]:
    """Runs the stack for one test; ``stop_browser`` must keep the page from reaching the server.

    ``beat_tasks`` are what the `Beat` thread runs (None: `cluster_sync_tasks`).

    Teardown order matters: the browser stops polling, the gate waits for the
    requests in flight, the beat thread stops, and only then may the database be emptied.
    """
    overrides = dict(live_server.thread.connections_override or {})
    lock = threading.Lock() if overrides or needs_serialising() else None
    aws = LocalAWS(
        "127.0.0.1", 0, speed=AWS_SPEED, buckets=settings_buckets(), region=settings.AWS_DEFAULT_REGION
    )
    with aws:
        try:
            # atmo.settings_test drops AWS_ENDPOINT_URL at import so that no other test reaches
            # an emulator by accident; boto3 reads it whenever a client is made.
            monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_CREDENTIALS["aws_access_key_id"])
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_CREDENTIALS["aws_secret_access_key"])
            beat = Beat(lock=lock, connections_override=overrides, tasks=beat_tasks)
            with eager_celery(), gated(live_server, lock) as gate:
                beat.start()
                try:
                    yield LocalStack(aws=aws, beat=beat, gate=gate)
                finally:
                    try:
                        stop_browser()
                    finally:
                        gate.close()
                        beat.stop()
        finally:
            reset_moto(aws.endpoint_url)
