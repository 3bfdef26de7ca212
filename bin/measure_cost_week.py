"""Prints what a week of the seeded local usage would cost, with and without idle shutdown.

Run it with ``make measure-cost``. The week is played on the local emulator's EMR
lifecycle (`localdev.aws.EMRLifecycle`) with a fake clock at real speed
(an hour is 3,600 s), so it takes a second and needs no service. Each cluster's
cost is what the status sweep would store: EMR's NormalizedInstanceHours from
ListClusters, priced by the seeded price table (on-demand master, spot core
nodes, EMR's charge).

The seeded week: three analysts launch one cluster each workday (sizes 1, 3 and
5, lifetime 8 hours), run one hour of work on it, then leave it; one daily job of
size 3 runs one hour on its own cluster. Without an idle timeout the clusters run
until ATMO terminates them at the end of their lifetime; with the default of
2 hours EMR stops them after 2 idle hours.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moto.emr.models import Cluster, ElasticMapReduceBackend  # noqa: E402

from atmo.lib.costs import Rates, dollars  # noqa: E402
from atmo.lib.emr import normalization_factor  # noqa: E402
from atmo.provisioners import Provisioner  # noqa: E402
from localdev.aws import EMRLifecycle, Timings, patched_emr  # noqa: E402
from localdev.aws.emr_patches import IDLE_TIMEOUT_ATTR  # noqa: E402

INSTANCE_TYPE = "c3.4xlarge"
HOUR = 3600.0
REAL_TIMINGS = Timings(starting=180, bootstrapping=300, step=HOUR, terminating=180, hour=HOUR)
START = datetime(2026, 11, 30, 8, 0)  # a Monday, naive UTC like moto's clock
ANALYST_SIZES = {"alice": 1, "bob": 3, "carol": 5}
LIFETIME_HOURS = 8
JOB_SIZE = 3
TICK = timedelta(minutes=1)
WORK_STEP = {
    "name": "work",
    "action_on_failure": "CONTINUE",
    "hadoop_jar_step": {"Jar": "x", "Args": ["work"]},
}


def seeded_rates() -> Rates:
    """The rates of the seeded price table (the costs app's data migration), spot core nodes."""
    seed = importlib.import_module("atmo.costs.migrations.0002_seed_instance_prices")
    on_demand, spot, emr = (Decimal(value) for value in seed.DEFAULT_PRICES[INSTANCE_TYPE])
    factor = Decimal(str(normalization_factor(INSTANCE_TYPE)))
    return Rates(on_demand=on_demand, spot=spot, emr=emr, normalization_factor=factor, use_spot=True)


def launch(backend: ElasticMapReduceBackend, size: int, keep_alive: bool) -> Cluster:
    """A cluster shaped as the provisioners ask for it, with one hour-long step of work queued."""
    cluster = backend.run_job_flow(
        name="week",
        log_uri=None,
        job_flow_role="role",
        service_role="EMR_DefaultRole",
        steps=[WORK_STEP],
        instance_attrs={
            "master_instance_type": INSTANCE_TYPE,
            "instance_count": 1,
            "keep_job_flow_alive_when_no_steps": keep_alive,
            "ec2_subnet_id": None,
            "emr_managed_master_security_group": None,
            "emr_managed_slave_security_group": None,
            "service_access_security_group": None,
        },
    )
    if size > 1:
        backend.add_instance_groups(
            cluster.id,
            [
                {
                    "instance_count": size,
                    "instance_role": "CORE",
                    "instance_type": INSTANCE_TYPE,
                    "name": "core",
                }
            ],
        )
    return cluster


def launches() -> Iterator[tuple[datetime, str, int, bool]]:
    """(when, who, size, interactive) of every cluster of the seeded week, in time order."""
    for day in range(7):
        morning = START + timedelta(days=day)
        yield morning - timedelta(hours=6), "daily-job", JOB_SIZE, False
        if day < 5:
            for who, size in ANALYST_SIZES.items():
                yield morning, who, size, True


def play_week(idle_timeout_hours: int | None) -> dict[str, tuple[int, Decimal]]:
    """Run the week on a private backend; returns {who: (normalized instance hours, cost)}."""
    rates = seeded_rates()
    with patched_emr():
        backend = ElasticMapReduceBackend(region_name="eu-west-3", account_id="000000000000")
        lifecycle = EMRLifecycle(REAL_TIMINGS, clusters=lambda: backend.clusters.values())
        owners: dict[str, tuple[str, int, datetime, bool]] = {}
        pending = list(launches())
        now = pending[0][0]
        end = START + timedelta(days=7, hours=LIFETIME_HOURS)
        while now <= end:
            while pending and pending[0][0] <= now:
                _, who, size, interactive = pending.pop(0)
                cluster = launch(backend, size, keep_alive=interactive)
                if interactive and idle_timeout_hours:
                    setattr(cluster, IDLE_TIMEOUT_ATTR, idle_timeout_hours * 3600)
                owners[cluster.id] = (who, size, now, interactive)
            lifecycle.tick(now)
            for cluster_id, (_, _, launched, interactive) in owners.items():
                # ATMO's deactivate_clusters ends what outlived its lifetime.
                expired = now >= launched + timedelta(hours=LIFETIME_HOURS)
                if interactive and expired and backend.clusters[cluster_id].state == "WAITING":
                    backend.terminate_job_flows([cluster_id])
            now += TICK
        totals: dict[str, tuple[int, Decimal]] = {}
        for summary in backend.list_clusters():
            info = Provisioner.format_list(as_listed(summary))
            who, size, _, _ = owners[summary.id]
            hours, cost = totals.get(who, (0, Decimal(0)))
            nih = info.normalized_instance_hours or 0
            totals[who] = (hours + nih, cost + rates.cost_of_normalized_hours(nih, size))
        return totals


def as_listed(cluster: Cluster) -> dict[str, Any]:
    """The ListClusters entry of ``cluster``, as boto3 would parse it."""
    return {
        "Id": cluster.id,
        "Status": cluster.status,
        "NormalizedInstanceHours": cluster.normalized_instance_hours,
    }


def main() -> int:
    rates = seeded_rates()
    print(
        f"Seeded prices: {INSTANCE_TYPE} on demand ${rates.on_demand}/h, "
        f"spot ${rates.spot}/h, EMR ${rates.emr}/h"
    )
    print(
        "A week: 3 analysts x 5 workdays (sizes 1, 3, 5; lifetime 8 h; 1 h of work), "
        "one daily job (size 3, 1 h)\n"
    )
    arms = {"no idle shutdown": play_week(None), "idle shutdown after 2 h": play_week(2)}
    people = sorted(next(iter(arms.values())))
    print(f"{'who':<12}" + "".join(f"{arm:>28}" for arm in arms))
    for who in people:
        cells = [f"{totals[who][0]:>8} NIH  ${dollars(totals[who][1]):>10}" for totals in arms.values()]
        print(f"{who:<12}" + "".join(f"{cell:>28}" for cell in cells))
    sums = [sum((cost for _, cost in totals.values()), Decimal(0)) for totals in arms.values()]
    print(f"{'total':<12}" + "".join(f"{'$' + str(dollars(total)):>28}" for total in sums))
    print(f"\nIdle shutdown saves ${dollars(sums[0] - sums[1])} of ${dollars(sums[0])} this week.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
