"""Whether a new job may take an identifier, asked as the user types."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import resolve, reverse

from atmo.jobs import views
from atmo.jobs.models import SparkJob
from tests.jobs.pages import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "status", "answer"),
    [
        ("", 400, "identifier invalid"),
        ("?identifier=", 400, "identifier invalid"),
        ("?identifier=daily-report", 200, "identifier unavailable"),
        ("?identifier=something-else", 200, "identifier available"),
    ],
)
def test_the_identifier_availability_answers_in_plain_text(
    client_for: Any, stranger: Any, spark_job: SparkJob, query: str, status: int, answer: str
) -> None:
    response = client_for(stranger).get(reverse("jobs-identifier-available") + query)
    assert response.status_code == status
    assert response.content.decode() == answer
    assert response["Content-Type"].startswith("text/plain")


def test_the_zeppelin_page_is_the_documented_view(spark_job: SparkJob) -> None:
    assert resolve(url("zeppelin", spark_job)).func is views.detail_zeppelin_job
