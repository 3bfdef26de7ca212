"""Cost arithmetic (atmo.lib.costs): estimates on demand and on spot, and EMR's normalized hours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from atmo.lib.costs import Rates, dollars
from atmo.lib.emr import normalization_factor, started_hours


def c3_4xlarge(use_spot: bool) -> Rates:
    return Rates(
        on_demand=Decimal("0.84"),
        spot=Decimal("0.27"),
        emr=Decimal("0.21"),
        normalization_factor=Decimal(32),
        use_spot=use_spot,
    )


def test_a_lone_master_is_on_demand_even_when_spot_is_configured() -> None:
    assert c3_4xlarge(use_spot=True).estimate(1, 10) == Decimal("10.50")  # 10 h × (0.84 + 0.21)


def test_on_demand_estimate_is_instances_times_hours_times_price_and_emr_charge() -> None:
    # Size 10: a master and 10 core nodes, 11 instances, all on demand, for 24 hours.
    assert c3_4xlarge(use_spot=False).estimate(10, 24) == Decimal("277.20")  # 24 × 11 × 1.05


def test_spot_estimate_prices_the_core_nodes_at_spot() -> None:
    # 24 h × (master 1.05 + 10 core nodes × (0.27 + 0.21))
    assert c3_4xlarge(use_spot=True).estimate(10, 24) == Decimal("140.40")


def test_normalized_hours_cost_the_cluster_mix_per_instance_hour() -> None:
    # Size 3 for 2 started hours: 4 instances × 2 h × 32 = 256 normalized hours.
    rates = c3_4xlarge(use_spot=True)
    assert rates.cost_of_normalized_hours(256, 3) == rates.estimate(3, 2) == Decimal("4.98")
    assert rates.cost_of_normalized_hours(0, 3) == 0


def test_dollars_round_half_up_to_cents() -> None:
    assert dollars(Decimal("1.005")) == Decimal("1.01")
    assert dollars(Decimal("1.0049")) == Decimal("1.00")


@pytest.mark.parametrize(
    ("instance_type", "factor"),
    [("m5.large", 4), ("m5.xlarge", 8), ("c3.4xlarge", 32), ("r5.24xlarge", 192), ("t3.micro", 0.5)],
)
def test_normalization_factors_follow_the_size(instance_type: str, factor: float) -> None:
    assert normalization_factor(instance_type) == factor


@pytest.mark.parametrize("instance_type", ["c3", "c3.huge", "c3.0xlarge", ""])
def test_a_name_without_a_known_size_is_refused(instance_type: str) -> None:
    with pytest.raises(ValueError):
        normalization_factor(instance_type)


def test_emr_counts_every_started_hour() -> None:
    assert [started_hours(s) for s in (0, 1, 3600, 3601, 7200)] == [0, 1, 1, 2, 2]
