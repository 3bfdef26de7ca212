"""Who may do what on every job route: visitors log in, other users get 403, missing jobs 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.pages import JOB_ROUTES, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("action", "method"), JOB_ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(
    client: Any, spark_job: SparkJob, action: str, method: str
) -> None:
    response = getattr(client, method)(url(action, spark_job))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize("name", ["jobs-new", "jobs-identifier-available"])
def test_anonymous_visitors_cannot_create_or_check_identifiers(client: Any, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize(("action", "method"), JOB_ROUTES)
def test_other_users_are_refused_on_every_route(
    client_for: Any, spark_job: SparkJob, stranger: Any, aws: AWSStubs, action: str, method: str
) -> None:
    # The aws fixture fails the test on any AWS call: nothing is even looked up.
    response = getattr(client_for(stranger), method)(url(action, spark_job))
    assert response.status_code == 403
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    assert not spark_job.runs.exists()


@pytest.mark.parametrize(("action", "method"), JOB_ROUTES)
def test_a_missing_job_is_not_found(client_for: Any, owner: Any, action: str, method: str) -> None:
    assert getattr(client_for(owner), method)(url(action, 4242)).status_code == 404
