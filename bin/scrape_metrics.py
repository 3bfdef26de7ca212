"""Scrapes ATMO's ``/metrics`` like Prometheus for a while, then prints what moved.

Run it with ``make scrape`` next to ``make run`` and click around: every
``--interval`` seconds it prints a line (requests, tasks, AWS calls, queue),
and after ``--seconds`` a summary of the counters' increase over the run and
the gauges' last values. Stops by itself; Ctrl-C ends it early with the summary.

    python bin/scrape_metrics.py [--url URL] [--seconds 60] [--interval 5]

The token, when the site wants one, comes from ``ATMO_METRICS_TOKEN``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable

from prometheus_client.parser import text_string_to_metric_families

#: ``{(sample name, sorted labels): value}`` of one scrape.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, token: str) -> Samples:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a URL the developer gave
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def increase(first: Samples, last: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """How much each series of counter ``name`` grew (a series that appeared counts from 0)."""
    grown = {}
    for (sample, labels), value in last.items():
        if sample == name:
            delta = value - first.get((sample, labels), 0.0)
            if delta > 0:
                grown[labels] = delta
    return grown


def gauge(last: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: value for (sample, labels), value in last.items() if sample == name}


def label_text(labels: Iterable[tuple[str, str]], keep: tuple[str, ...]) -> str:
    values = dict(labels)
    return " ".join(values.get(name, "") for name in keep)


def total(series: dict[tuple[tuple[str, str], ...], float]) -> float:
    return sum(series.values())


def table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    if not rows:
        print("  (nothing)")
    width = max((len(left) for left, _right in rows), default=0)
    for left, right in rows:
        print(f"  {left:<{width}}  {right}")


def histogram_means(first: Samples, last: Samples, name: str) -> list[tuple[dict[str, str], float]]:
    """The mean of each series of histogram ``name`` over the run, in seconds."""
    sums = increase(first, last, f"{name}_sum")
    return [
        (dict(labels), sums.get(labels, 0.0) / count)
        for labels, count in increase(first, last, f"{name}_count").items()
    ]


def counter_rows(
    first: Samples, last: Samples, name: str, keep: tuple[str, ...], mean_of: str | None = None
) -> list[tuple[str, str]]:
    """Rows of ``name``'s increase, biggest first, with the mean of histogram ``mean_of`` when given."""
    means = histogram_means(first, last, mean_of) if mean_of else []
    rows = []
    for labels, delta in sorted(increase(first, last, name).items(), key=lambda item: -item[1]):
        text = f"{delta:g}"
        series = dict(labels)
        for histogram_labels, seconds in means:
            if histogram_labels.items() <= series.items():
                text += f"  (mean {1000 * seconds:.1f} ms)"
                break
        rows.append((label_text(labels, keep), text))
    return rows


def summary(first: Samples, last: Samples, seconds: float) -> None:
    print(f"\n=== What moved in {seconds:.0f} s ===")
    table(
        "HTTP requests (view method status)",
        counter_rows(
            first,
            last,
            "atmo_http_requests_total",
            ("view", "method", "status"),
            "atmo_http_request_duration_seconds",
        ),
    )
    table(
        "Celery tasks (task outcome)",
        counter_rows(
            first, last, "atmo_celery_tasks_total", ("task", "outcome"), "atmo_celery_task_duration_seconds"
        ),
    )
    table(
        "Sweeps run (sweep outcome)",
        counter_rows(
            first,
            last,
            "atmo_sweep_duration_seconds_count",
            ("sweep", "outcome"),
            "atmo_sweep_duration_seconds",
        ),
    )
    table("Rows the sweeps changed", counter_rows(first, last, "atmo_sweep_rows_changed_total", ("sweep",)))
    table(
        "AWS calls (service operation outcome)",
        counter_rows(first, last, "atmo_aws_calls_total", ("service", "operation", "outcome")),
    )
    table(
        "AWS errors (operation code)",
        counter_rows(first, last, "atmo_aws_errors_total", ("operation", "code")),
    )
    table(
        "AWS throttled attempts",
        counter_rows(first, last, "atmo_aws_throttled_attempts_total", ("operation",)),
    )
    table("Mails sent", counter_rows(first, last, "atmo_mails_sent_total", ("template",)))
    table("Mails failed", counter_rows(first, last, "atmo_mails_failed_total", ("template",)))
    gauges: list[tuple[str, str]] = []
    for name, keep in (
        ("atmo_clusters", ("state",)),
        ("atmo_job_runs", ("state",)),
        ("atmo_job_runs_past_timeout", ()),
        ("atmo_celery_queue_length", ("queue",)),
        ("atmo_celery_unacked_messages", ()),
        ("atmo_sweep_overdue", ("sweep",)),
    ):
        for labels, value in sorted(gauge(last, name).items()):
            gauges.append((f"{name} {label_text(labels, keep)}".strip(), f"{value:g}"))
    beat = gauge(last, "atmo_scheduler_last_beat_timestamp_seconds")
    gauges.append(("scheduler's last beat", f"{time.time() - total(beat):.1f} s ago" if beat else "unknown"))
    table("Now", gauges)


def progress_line(elapsed: float, first: Samples, last: Samples) -> str:
    def grown(name: str) -> float:
        return total(increase(first, last, name))

    queue = total(gauge(last, "atmo_celery_queue_length"))
    return (
        f"{elapsed:5.0f}s  requests +{grown('atmo_http_requests_total'):g}  "
        f"tasks +{grown('atmo_celery_tasks_total'):g}  aws calls +{grown('atmo_aws_calls_total'):g} "
        f"(errors +{grown('atmo_aws_errors_total'):g})  mails +{grown('atmo_mails_sent_total'):g}  "
        f"queue {queue:g}"
    )


def watch(fetch: Callable[[], Samples], seconds: float, interval: float) -> int:
    started = time.monotonic()
    first: Samples | None = None
    last: Samples = {}
    try:
        while True:
            try:
                last = fetch()
                first = first if first is not None else last
                print(progress_line(time.monotonic() - started, first, last), flush=True)
            except (urllib.error.URLError, OSError) as exc:
                print(f"{time.monotonic() - started:5.0f}s  scrape failed: {exc}", flush=True)
            if time.monotonic() - started + interval > seconds:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    if first is None:
        print("No scrape succeeded: is `make run` up, and the URL right?", file=sys.stderr)
        return 1
    summary(first, last, time.monotonic() - started)
    return 0


def main() -> int:
    site = os.environ.get("DJANGO_SITE_URL", "http://localhost:8000").rstrip("/")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"{site}/metrics")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=5)
    args = parser.parse_args()
    token = os.environ.get("ATMO_METRICS_TOKEN", "")
    print(f"Scraping {args.url} every {args.interval:g} s for {args.seconds:g} s (Ctrl-C: stop now)")
    return watch(lambda: scrape(args.url, token), args.seconds, args.interval)


if __name__ == "__main__":
    sys.exit(main())
