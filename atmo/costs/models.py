"""Prices of instance types: the one place estimates and actual costs take their prices from."""

from __future__ import annotations

from decimal import Decimal

from constance import config as live
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from atmo.lib.costs import Rates
from atmo.lib.emr import normalization_factor
from atmo.models import EditedAtModel


def validate_instance_type(value: str) -> None:
    """An EC2 type EMR can normalize, e.g. ``c3.4xlarge``."""
    try:
        normalization_factor(value)
    except ValueError as exc:
        raise ValidationError(f"{value!r} is not an EC2 instance type such as c3.4xlarge.") from exc


def price_field(help_text: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal(0))], help_text=help_text
    )


class InstancePrice(EditedAtModel):
    """What one hour of an instance type costs, in USD, in the region ATMO launches in."""

    instance_type = models.CharField(
        max_length=50,
        unique=True,
        validators=[validate_instance_type],
        help_text="EC2 type, e.g. c3.4xlarge.",
    )
    on_demand_hourly = price_field("EC2 on-demand price per instance hour.")
    spot_hourly = price_field("Typical EC2 spot price per instance hour (what core nodes cost on spot).")
    emr_hourly = price_field("EMR's charge per instance hour, on top of EC2.")
    source = models.CharField(
        max_length=100, default="", blank=True, help_text="Where the prices come from, e.g. 'AWS price list'."
    )

    class Meta:
        ordering = ["instance_type"]

    def __str__(self) -> str:
        return self.instance_type

    def rates(self) -> Rates:
        """These prices, with the type's normalization factor and the live spot setting."""
        return Rates(
            on_demand=self.on_demand_hourly,
            spot=self.spot_hourly,
            emr=self.emr_hourly,
            normalization_factor=Decimal(str(normalization_factor(self.instance_type))),
            use_spot=bool(live.AWS_USE_SPOT_INSTANCES),
        )

    @classmethod
    def current_rates(cls) -> Rates | None:
        """The rates of the instance type ATMO launches, or None while nobody priced it."""
        price = cls.objects.filter(instance_type=settings.AWS_CONFIG["WORKER_INSTANCE_TYPE"]).first()
        return price.rates() if price else None
