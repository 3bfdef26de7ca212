"""Prices of instance types: the one place estimates and actual costs take their prices from."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from constance import config as live
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

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

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; this process prices with the new values at once (others within :data:`RATES_TTL`)."""
        super().save(*args, **kwargs)
        forget_cached_rates()

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


#: Seconds a sweep process keeps the rates it read: the price table is read once per
#: sweep, not once per row, and an operator's change applies within this time.
RATES_TTL = 60.0
_rates_cache: dict[str, tuple[float, Rates | None]] = {}


def cached_rates() -> Rates | None:
    """:meth:`InstancePrice.current_rates`, read at most every :data:`RATES_TTL` seconds per process."""
    now = time.monotonic()
    read_at, rates = _rates_cache.get("current", (-RATES_TTL, None))
    if now - read_at >= RATES_TTL:
        rates = InstancePrice.current_rates()
        _rates_cache["current"] = (now, rates)
    return rates


def forget_cached_rates() -> None:
    """Read the price table afresh next time (after an operator saved a price, and in tests)."""
    _rates_cache.clear()


def cost_of(normalized_instance_hours: int | None, size: int | None) -> Decimal | None:
    """What EMR's normalized instance hours of a cluster of ``size`` cost (None when unknown or unpriced)."""
    if normalized_instance_hours is None:
        return None
    rates = cached_rates()
    if rates is None:
        return None
    return rates.cost_of_normalized_hours(normalized_instance_hours, size or 1).quantize(Decimal("0.0001"))


class Budget(EditedAtModel):
    """A monthly spending limit of one user or of one group (its members' spend together), set by operators.

    At 80 % and 100 % of it the user, or the group's maintainers, get one mail each
    per month (:class:`BudgetAlert`). Once it is used up, new clusters and manual runs
    are refused until the month ends, unless an operator granted an exception for the
    month; scheduled runs go on unless the live setting ``BUDGET_HARD_STOP`` is on.
    """

    #: Percentages of the budget at which its owners are mailed.
    THRESHOLDS = (80, 100)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget",
        help_text="The user whose own clusters and jobs this budget limits.",
    )
    group = models.OneToOneField(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget",
        help_text="The group whose members' clusters and jobs this budget limits, together.",
    )
    monthly_limit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text="USD per calendar month (UTC).",
    )
    maintainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="maintained_budgets",
        help_text="Who is mailed about a group's budget (all its members when empty).",
    )
    exception_month = models.DateField(
        null=True,
        blank=True,
        help_text="A one-off exception: in this month (its first day) nothing is refused, whatever spent.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="budget_of_a_user_or_a_group",
                violation_error_message="A budget is either a user's or a group's: choose one of them.",
            )
        ]

    def __str__(self) -> str:
        owner = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"Budget of {owner}: ${self.monthly_limit}/month"

    @property
    def owners(self) -> models.Q:
        """The users whose spend counts against this budget, as a filter on users."""
        return models.Q(pk=self.user_id) if self.user_id else models.Q(groups=self.group_id)

    def spent(self, month: datetime) -> Decimal:
        """What the owners spent in the month starting ``month``."""
        from atmo.costs.spend import next_month_start, spend

        return spend(self.owners, month, next_month_start(month))

    def percent_used(self, spent: Decimal) -> Decimal:
        """``spent`` as a percentage of the limit (everything counts as over a zero limit)."""
        if self.monthly_limit <= 0:
            return Decimal(100) if spent > 0 else Decimal(0)
        return spent * 100 / self.monthly_limit

    def excepted(self, month: datetime) -> bool:
        """Whether an operator lifted the refusals for the month starting ``month``."""
        return self.exception_month is not None and self.exception_month == month.date()

    def recipients(self) -> list[str]:
        """Who is mailed: the user, or the group's maintainers (its members without any)."""
        if self.user is not None:
            return [self.user.email] if self.user.email else []
        if self.group is None:  # the database's check makes a budget a user's or a group's
            return []
        people = self.maintainers.all() if self.maintainers.exists() else self.group.user_set.all()
        return sorted({person.email for person in people if person.email})


class BudgetAlert(models.Model):
    """The claim of one threshold mail of one budget in one month: the unique row makes it once."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    month = models.DateField(help_text="The first day of the month the alert is about.")
    threshold = models.PositiveSmallIntegerField(help_text="Percentage of the budget reached.")
    spent = models.DecimalField(max_digits=12, decimal_places=2, help_text="USD spent when it was reached.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "month", "threshold"], name="one_budget_alert_per_month"
            )
        ]
        ordering = ["-month", "budget", "threshold"]

    def __str__(self) -> str:
        return f"{self.threshold} % of {self.budget} in {self.month:%Y-%m}"


class CostReport(models.Model):
    """No table: it gives the admin its *Costs › Cost reports* page and the permission to see it."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "cost report"
        verbose_name_plural = "cost reports"

    def __str__(self) -> str:
        return "cost report"
