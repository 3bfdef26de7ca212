"""Cost arithmetic of EMR clusters: what a size and a duration cost, and what EMR's hours cost.

A cluster of size 1 is a lone on-demand master; size N adds N core nodes, on
spot instances when the live setting says so (as the provisioners request
them). Every instance also pays EMR's own hourly charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from atmo.lib.emr import instance_count

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rates:
    """USD per hour of one instance of a type: EC2 on demand, EC2 spot, and EMR's charge."""

    on_demand: Decimal
    spot: Decimal
    emr: Decimal
    #: EMR's normalization factor of the type (c3.4xlarge: 32).
    normalization_factor: Decimal
    #: Whether core nodes run on spot instances (the live setting ``AWS_USE_SPOT_INSTANCES``).
    use_spot: bool

    @property
    def master_hourly(self) -> Decimal:
        """The master: always on demand, plus EMR."""
        return self.on_demand + self.emr

    @property
    def worker_hourly(self) -> Decimal:
        """A core node: spot or on demand as configured, plus EMR."""
        return (self.spot if self.use_spot else self.on_demand) + self.emr

    def cluster_hourly(self, size: int) -> Decimal:
        """One hour of a cluster of ``size``."""
        workers = instance_count(size) - 1
        return self.master_hourly + workers * self.worker_hourly

    def estimate(self, size: int, hours: float) -> Decimal:
        """A cluster of ``size`` running for ``hours``."""
        return self.cluster_hourly(size) * Decimal(str(hours))

    def cost_of_normalized_hours(self, normalized_instance_hours: int, size: int) -> Decimal:
        """What EMR's ``NormalizedInstanceHours`` of a cluster of ``size`` cost.

        They are instance hours times the type's factor; the cluster's own mix of
        master and core nodes prices each instance hour.
        """
        instance_hours = Decimal(normalized_instance_hours) / self.normalization_factor
        return instance_hours * self.cluster_hourly(size) / instance_count(size)


def dollars(amount: Decimal) -> Decimal:
    """``amount`` rounded to cents, halves up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
