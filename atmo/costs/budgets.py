"""Budgets at work: the refusal at 100 %, and the 80 % / 100 % mails, once per threshold and month."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from constance import config as live
from django.db import IntegrityError, transaction
from django.db.models import Q

from atmo.costs.models import Budget, BudgetAlert
from atmo.costs.spend import month_start
from atmo.lib.costs import dollars
from atmo.mail import send_templated_mail

logger = logging.getLogger(__name__)


class BudgetExhausted(Exception):
    """The user's (or a group's) budget for this month is used up; the message says which and how to go on."""


@dataclass(frozen=True)
class BudgetState:
    """One budget in one month: what was spent and how much of it that is."""

    budget: Budget
    month: datetime
    spent: Decimal

    @property
    def percent(self) -> Decimal:
        return self.budget.percent_used(self.spent)

    @property
    def level(self) -> str:
        """``ok`` below the first threshold, ``warning`` from 80 %, ``over`` from 100 %."""
        warning, over = Budget.THRESHOLDS
        if self.percent >= over:
            return "over"
        return "warning" if self.percent >= warning else "ok"

    @property
    def bar_percent(self) -> Decimal:
        """How much of a progress bar to fill: the percentage used, at most 100."""
        return min(self.percent, Decimal(100)).quantize(Decimal("0.1"))

    @property
    def refuses(self) -> bool:
        """Used up, and no exception granted for the month."""
        return self.percent >= 100 and not self.budget.excepted(self.month)

    def refusal(self) -> str:
        whose = (
            "Your monthly budget"
            if self.budget.user_id
            else f"The monthly budget of the group {self.budget.group}"
        )
        return (
            f"{whose} of ${self.budget.monthly_limit} is used up: ${dollars(self.spent)} spent in "
            f"{self.month:%B %Y}. New clusters and manual runs are refused until the month ends; "
            "scheduled runs go on. Ask the ATMO operators to raise the budget or grant an exception."
        )


def budgets_of(user: Any) -> list[Budget]:
    """The user's own budget and those of their groups."""
    return list(
        Budget.objects.filter(Q(user=user) | Q(group__in=user.groups.all())).select_related("user", "group")
    )


def budget_states(user: Any, month: datetime | None = None) -> list[BudgetState]:
    """Each budget of ``user`` with this month's spend against it."""
    month = month or month_start()
    return [BudgetState(budget, month, budget.spent(month)) for budget in budgets_of(user)]


def refusal_for(user: Any) -> str | None:
    """Why ``user`` may not start a cluster or a manual run now (None when they may)."""
    for state in budget_states(user):
        if state.refuses:
            return state.refusal()
    return None


def check_allowed(user: Any) -> None:
    """Raise :class:`BudgetExhausted` when a budget of ``user`` is used up this month."""
    refusal = refusal_for(user)
    if refusal is not None:
        raise BudgetExhausted(refusal)


def scheduled_runs_stopped(user: Any) -> bool:
    """Whether the operators chose a hard stop (``BUDGET_HARD_STOP``) and a budget of ``user`` is used up."""
    return bool(live.BUDGET_HARD_STOP) and refusal_for(user) is not None


def claim_alert(state: BudgetState, threshold: int) -> BudgetAlert | None:
    """The alert row of ``threshold`` this month, if this caller made it; None when it existed.

    The unique constraint decides between concurrent sweeps: PostgreSQL makes the
    second INSERT wait for the first one's transaction and then refuses it.
    """
    try:
        with transaction.atomic():
            return BudgetAlert.objects.create(
                budget=state.budget, month=state.month.date(), threshold=threshold, spent=dollars(state.spent)
            )
    except IntegrityError:
        return None


def alert(state: BudgetState) -> int | None:
    """Mail the thresholds newly reached this month, once each; returns the threshold mailed, if any.

    Every reached threshold is claimed; one mail tells the highest (a jump from
    50 % to 120 % is one mail, not two). A mail that cannot be sent gives its
    claims back, so the next sweep tries again.
    """
    reached = [threshold for threshold in Budget.THRESHOLDS if state.percent >= threshold]
    claimed = [claim for claim in (claim_alert(state, threshold) for threshold in reached) if claim]
    if not claimed:
        return None
    threshold = max(claim.threshold for claim in claimed)
    recipients = state.budget.recipients()
    context = {"state": state, "budget": state.budget, "threshold": threshold}
    try:
        for to in recipients:
            send_templated_mail("costs/emails/budget", context, to=[to])
    except Exception:
        # Given back: the next sweep claims and sends it again.
        BudgetAlert.objects.filter(pk__in=[claim.pk for claim in claimed]).delete()
        logger.exception("budget mail not sent, to be tried again", extra={"budget_id": state.budget.pk})
        return None
    return threshold


def check_budgets() -> list[tuple[int, int]]:
    """Mail the owners of every budget that newly reached a threshold; returns (budget id, threshold)."""
    month = month_start()
    mailed = []
    for budget in Budget.objects.select_related("user", "group"):
        threshold = alert(BudgetState(budget, month, budget.spent(month)))
        if threshold is not None:
            mailed.append((budget.pk, threshold))
    return mailed
