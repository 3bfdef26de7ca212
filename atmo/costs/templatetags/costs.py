"""``{% cost_estimate form %}``: the estimate under a cluster or job form, from its current values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms, template
from django.conf import settings

from atmo.costs.advice import advice_for
from atmo.costs.budgets import budget_states
from atmo.costs.models import InstancePrice
from atmo.costs.spend import month_start, month_to_date
from atmo.costs.trends import Trend, ended_runs
from atmo.jobs.models import SparkJob
from atmo.lib.costs import Rates, dollars

register = template.Library()

#: A month of scheduled runs, in hours (the job intervals are fractions of it).
MONTH_HOURS = 30 * 24


def field_int(form: forms.BaseForm, name: str) -> int | None:
    """The form's value of ``name`` (what was posted, else the initial value) as a positive int, or None."""
    if name not in form.fields:
        return None
    try:
        value = int(form[name].value())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def assumptions(rates: Rates, price: InstancePrice) -> str:
    """The estimate's assumptions in one sentence per fact, for the hover text."""
    workers = "spot" if rates.use_spot else "on-demand"
    worker_price = rates.spot if rates.use_spot else rates.on_demand
    return (
        f"{price.instance_type} instances. Master on demand at ${rates.on_demand:.3f}/h; "
        f"core nodes {workers} at ${worker_price:.3f}/h; EMR adds ${rates.emr:.3f}/h per instance. "
        f"Prices: {price.source or 'set by the operators'}, changed {price.modified_at:%Y-%m-%d}. "
        "Assumes the cluster runs for all of the hours; stopping early or an idle shutdown costs less."
    )


@register.inclusion_tag("costs/_estimate.html")
def cost_estimate(form: forms.BaseForm, hours_field: str, interval_field: str = "") -> dict[str, Any]:
    """The estimate of ``form``'s size over ``hours_field`` hours (per run, and per month for a job)."""
    price = InstancePrice.objects.filter(instance_type=settings.AWS_CONFIG["WORKER_INSTANCE_TYPE"]).first()
    context: dict[str, Any] = {"form": form, "price": price}
    if price is None:
        return context
    rates = price.rates()
    size = field_int(form, "size")
    hours = field_int(form, hours_field)
    interval = field_int(form, interval_field) if interval_field else None
    total = rates.estimate(size, hours) if size and hours else None
    context.update(
        rates=rates,
        assumptions=assumptions(rates, price),
        size_name=form["size"].html_name,
        hours_name=form[hours_field].html_name,
        interval_name=form[interval_field].html_name if interval_field else "",
        total=dollars(total) if total is not None else None,
        monthly=dollars(total * Decimal(MONTH_HOURS) / interval) if total is not None and interval else None,
        month_hours=MONTH_HOURS,
    )
    return context


@register.inclusion_tag("costs/_month_spend.html")
def month_spend(user: Any) -> dict[str, Any]:
    """This month's spend of ``user``, and each of their budgets (their own, their groups') against it."""
    return {"spent": dollars(month_to_date(user)), "month": month_start(), "budgets": budget_states(user)}


@register.inclusion_tag("costs/_job_trend.html")
def job_cost_trend(spark_job: SparkJob) -> dict[str, Any]:
    """The job's advice, and the chart and table of its last runs' duration and cost."""
    runs = ended_runs(spark_job)
    return {"spark_job": spark_job, "trend": Trend.of(runs), "advice": advice_for(spark_job, runs)}
