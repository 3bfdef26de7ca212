"""The estimate under the launch and job forms, rendered by the server from the price table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from atmo.costs.models import InstancePrice
from tests.clusters.factories import EMRReleaseFactory
from tests.clusters.pages import new_cluster_post
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db


def estimate_of(body: str) -> str:
    match = re.search(r'data-testid="cost-estimate">([^<]*)<', body)
    assert match, "no estimate on the page"
    return match.group(1)


def test_the_defaults_are_seeded_for_the_instance_type_in_use(settings: Any) -> None:
    price = InstancePrice.objects.get(instance_type=settings.AWS_CONFIG["WORKER_INSTANCE_TYPE"])
    assert price.on_demand_hourly > price.spot_hourly > 0
    assert price.emr_hourly > 0


def test_the_launch_form_shows_the_estimate_of_its_initial_values(
    client_for: Any, user: Any, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True)
    SSHKeyFactory(created_by=user)
    body = client_for(user).get(reverse("clusters-new")).content.decode()
    # Size 1 for the default 8 hours: one on-demand c3.4xlarge, 8 × (0.84 + 0.21).
    assert estimate_of(body) == "$8.40"
    assert "Master on demand at $0.840/h" in body
    assert "js/cost-estimate.js" in body


def test_a_posted_form_with_errors_shows_the_estimate_of_what_was_typed(
    client_for: Any, user: Any, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=False)
    key = SSHKeyFactory(created_by=user)
    data = new_cluster_post(key, EMRReleaseFactory(), identifier="NOT VALID", size=3, lifetime=10)
    body = client_for(user).post(reverse("clusters-new"), data).content.decode()
    assert estimate_of(body) == "$42.00"  # 4 on-demand instances × 10 h × 1.05


def test_a_size_that_is_not_a_number_gives_no_estimate_and_no_error(client_for: Any, user: Any) -> None:
    key = SSHKeyFactory(created_by=user)
    data = new_cluster_post(key, EMRReleaseFactory(), size="many")
    response = client_for(user).post(reverse("clusters-new"), data)
    assert response.status_code == 200
    assert estimate_of(response.content.decode()) == "—"


def test_without_a_price_the_form_says_so(client_for: Any, user: Any) -> None:
    InstancePrice.objects.all().delete()
    SSHKeyFactory(created_by=user)
    body = client_for(user).get(reverse("clusters-new")).content.decode()
    assert 'data-testid="cost-estimate-missing"' in body


def test_the_job_form_shows_the_cost_per_run_and_per_month(
    client_for: Any, user: Any, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True)
    body = client_for(user).get(reverse("jobs-new")).content.decode()
    form_values = dict(re.findall(r'name="new-(size|job_timeout)"[^>]*value="(\d+)"', body))
    size, timeout = int(form_values["size"]), int(form_values["job_timeout"])
    assert size == 1
    per_run = timeout * 1.05
    assert estimate_of(body) == f"${per_run:.2f}"
    interval = re.search(
        r'value="(\d+)" id="id_new-interval_in_hours_\d" required class="form-check-input" checked', body
    )
    assert interval is not None
    per_month = per_run * 720 / int(interval.group(1))
    assert re.search(rf"per month <strong data-cost-monthly[^>]*>\${per_month:,.2f}<", body)
