"""The operators' cost report page: who sees it, what each table sums, sorting, CSV, and its query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atmo.clusters.models import Cluster
from atmo.costs.models import Budget
from atmo.costs.spend import month_start
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/costs/costreport/"
REPORTS = ["users", "groups", "jobs", "months", "idle", "full-lifetime"]


def last_month() -> Any:
    return month_start() - timedelta(days=3)


@pytest.fixture
def operator(db: Any) -> Any:
    """Staff with only the permission to view the cost report."""
    person = UserFactory(username="olga@example.com", is_staff=True)
    person.user_permissions.add(Permission.objects.get(codename="view_costreport"))
    return person


@pytest.fixture
def operator_client(client_for: Any, operator: Any) -> Any:
    return client_for(operator)


def table(client: Any, report: str = "users", **params: str) -> list[list[str]]:
    """The report's rows as its CSV file has them, header first."""
    response = client.get(f"{URL}{report}/", {**params, "format": "csv"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


# --- Who may see it --------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"format": "csv"}], ids=["page", "csv"])
def test_an_anonymous_visitor_is_sent_to_log_in(client: Any, params: dict[str, str]) -> None:
    response = client.get(URL, params)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "text/csv" not in response.get("Content-Type", "")


@pytest.mark.parametrize("params", [{}, {"format": "csv"}], ids=["page", "csv"])
def test_a_user_who_is_not_staff_is_forbidden(client_for: Any, user: Any, params: dict[str, str]) -> None:
    # Even with the permission: the report is for operators.
    user.user_permissions.add(Permission.objects.get(codename="view_costreport"))
    ClusterFactory(created_by=user, cost=Decimal(5))
    response = client_for(user).get(URL, params)
    assert response.status_code == 403
    assert b"Total (USD)" not in response.content


@pytest.mark.parametrize("params", [{}, {"format": "csv"}], ids=["page", "csv"])
def test_staff_without_the_permission_are_forbidden(
    client_for: Any, user: Any, params: dict[str, str]
) -> None:
    user.is_staff = True
    user.save()
    assert client_for(user).get(URL, params).status_code == 403


@pytest.mark.parametrize("params", [{}, {"format": "csv"}], ids=["page", "csv"])
@pytest.mark.parametrize("report", REPORTS)
def test_staff_with_the_permission_see_every_report(
    operator_client: Any, params: dict[str, str], report: str
) -> None:
    response = operator_client.get(f"{URL}{report}/", params)
    assert response.status_code == 200


@pytest.mark.parametrize("params", [{}, {"format": "csv"}], ids=["page", "csv"])
def test_a_superuser_sees_it(client_for: Any, user: Any, params: dict[str, str]) -> None:
    user.is_staff = user.is_superuser = True
    user.save()
    assert client_for(user).get(URL, params).status_code == 200


def test_the_admin_index_links_to_the_report(operator_client: Any) -> None:
    assert URL in operator_client.get("/admin/").content.decode()


def test_an_unknown_report_is_not_found(operator_client: Any) -> None:
    assert operator_client.get(f"{URL}nothing/").status_code == 404


# --- What the tables say -------------------------------------------------------------


def test_by_user_sums_clusters_and_runs_of_the_chosen_month(
    operator_client: Any, user: Any, user2: Any
) -> None:
    ClusterFactory(created_by=user, cost=Decimal("10.50"))
    ClusterFactory(created_by=user, cost=Decimal("2.25"))
    SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), cost=Decimal("1.10"))
    ClusterFactory(created_by=user2, cost=Decimal(3))
    ClusterFactory(created_by=user2, cost=Decimal(100), created_at=last_month())
    Budget.objects.create(user=user, monthly_limit=Decimal(50))

    rows = table(operator_client)
    assert rows[0] == [
        "User",
        "Clusters",
        "Clusters (USD)",
        "Job runs",
        "Job runs (USD)",
        "Total (USD)",
        "Monthly budget (USD)",
    ]
    assert rows[1:] == [
        ["alice@example.com", "2", "12.75", "1", "1.10", "13.85", "50.00"],
        ["bob@example.com", "1", "3.00", "0", "0.00", "3.00", ""],
    ]
    previous = table(operator_client, month=f"{last_month():%Y-%m}")
    assert previous[1:] == [["bob@example.com", "1", "100.00", "0", "0.00", "100.00", ""]]
    everything = table(operator_client, month="all")
    assert column(everything, "Total (USD)") == ["103.00", "13.85"]


@pytest.mark.parametrize("month", ["2026-13", "x", "\x00", "99999-01", "9999-12", "2026-1x", ""])
def test_a_month_that_is_none_shows_the_current_month(operator_client: Any, user: Any, month: str) -> None:
    ClusterFactory(created_by=user, cost=Decimal(1))
    ClusterFactory(created_by=user, cost=Decimal(100), created_at=last_month())
    assert column(table(operator_client, month=month), "Total (USD)") == ["1.00"]
    page = operator_client.get(URL, {"month": month}).content.decode()
    assert f"By user, {month_start():%B %Y}" in page


def test_by_group_sums_what_its_members_spent(operator_client: Any, user: Any, user2: Any) -> None:
    analysts, admins = Group.objects.create(name="analysts"), Group.objects.create(name="admins")
    user.groups.add(analysts, admins)
    user2.groups.add(analysts)
    ClusterFactory(created_by=user, cost=Decimal(4))
    ClusterFactory(created_by=user2, cost=Decimal(6))
    SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user2), cost=Decimal(1))
    UserFactory().groups.add(Group.objects.create(name="idle people"))

    rows = table(operator_client, "groups")
    assert [row[0] for row in rows[1:]] == ["analysts", "admins"]
    assert column(rows, "Total (USD)") == ["11.00", "4.00"]
    assert column(rows, "Job runs") == ["1", "0"]


def test_by_job_gives_runs_cost_and_cost_per_run(operator_client: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user, identifier="weekly")
    for cost in ("1.00", "3.00", None):
        SparkJobRunFactory(spark_job=job, cost=cost and Decimal(cost))
    SparkJobRunFactory(spark_job=job, cost=Decimal(50), created_at=last_month())

    rows = table(operator_client, "jobs")
    assert rows[1:] == [["weekly", "alice@example.com", "2", "2", "3", "4.00", "2.00"]]


def test_by_month_is_the_trend_whatever_month_is_chosen(operator_client: Any, user: Any) -> None:
    ClusterFactory(created_by=user, cost=Decimal(2))
    SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), cost=Decimal(1))
    ClusterFactory(created_by=user, cost=Decimal(7), created_at=last_month())

    rows = table(operator_client, "months", month="2020-01")
    assert rows[1:] == [
        [f"{month_start():%Y-%m}", "1", "2.00", "1", "1.00", "3.00"],
        [f"{last_month():%Y-%m}", "1", "7.00", "0", "0.00", "7.00"],
    ]


def test_idle_time_is_the_idle_timeout_at_the_clusters_hourly_price(
    operator_client: Any, user: Any, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True)
    stopped = {"idle_stopped_at": month_start() + timedelta(hours=5), "created_by": user}
    ClusterFactory(identifier="small", size=1, idle_timeout=2, cost=Decimal(5), **stopped)
    ClusterFactory(identifier="big", size=4, idle_timeout=3, cost=Decimal(90), **stopped)
    ClusterFactory(
        identifier="busy", size=4, idle_timeout=3, cost=Decimal(90), created_by=user, terminated=True
    )
    ClusterFactory(identifier="cheap", size=1, idle_timeout=2, cost=Decimal("1.5"), **stopped)

    rows = table(operator_client, "idle")
    assert [row[0] for row in rows[1:]] == ["big", "small", "cheap"]
    # c3.4xlarge: master 0.84 + 0.21 EMR; spot core nodes 0.27 + 0.21.
    # big: 3 h × (1.05 + 4 × 0.48) = 8.91; small: 2 h × 1.05 = 2.10; cheap: the same, but it cost 1.50 in all.
    assert column(rows, "Idle cost (USD)") == ["8.91", "2.10", "1.50"]
    assert column(rows, "Idle hours") == ["3", "2", "2"]
    page = operator_client.get(f"{URL}idle/").content.decode()
    assert "idle cost = idle timeout × the cluster" in page


def test_full_lifetime_lists_clusters_stopped_at_expiry_that_no_idle_timeout_guarded(
    operator_client: Any, user: Any
) -> None:
    expired = {"terminated": True, "termination_reason": Cluster.TERMINATED_AT_EXPIRY, "lifetime": 8}
    ClusterFactory(identifier="no-timeout", created_by=user, idle_timeout=None, cost=Decimal(20), **expired)
    ClusterFactory(identifier="long-timeout", created_by=user, idle_timeout=8, cost=Decimal(30), **expired)
    ClusterFactory(identifier="was-busy", created_by=user, idle_timeout=2, cost=Decimal(40), **expired)
    ClusterFactory(identifier="stopped-by-owner", created_by=user, cost=Decimal(50), terminated=True)

    rows = table(operator_client, "full-lifetime")
    assert [row[0] for row in rows[1:]] == ["long-timeout", "no-timeout"]
    assert column(rows, "Idle timeout (hours)") == ["8", ""]


# --- Sorting --------------------------------------------------------------------------


@pytest.fixture
def three_users(db: Any) -> None:
    for name, cost in (("carol", 5), ("alice", 9), ("bob", 1)):
        ClusterFactory(created_by=UserFactory(username=f"{name}@example.com"), cost=Decimal(cost))


@pytest.mark.usefixtures("three_users")
@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("user", ["alice", "bob", "carol"]),
        ("-user", ["carol", "bob", "alice"]),
        ("total", ["bob", "carol", "alice"]),
        ("-total", ["alice", "carol", "bob"]),
        # Values that name no column are ignored: the default, most spent first.
        ("nonsense", ["alice", "carol", "bob"]),
        ("-", ["alice", "carol", "bob"]),
        ("pk", ["alice", "carol", "bob"]),
        ("\x00", ["alice", "carol", "bob"]),
        ("total; DROP TABLE auth_user", ["alice", "carol", "bob"]),
    ],
)
def test_rows_sort_by_the_column_in_o(operator_client: Any, order: str, expected: list[str]) -> None:
    names = [email.split("@")[0] for email in column(table(operator_client, o=order), "User")]
    assert names == expected
    assert operator_client.get(URL, {"o": order}).status_code == 200


@pytest.mark.usefixtures("three_users")
def test_a_header_link_sorts_and_a_second_click_reverses(operator_client: Any) -> None:
    page = operator_client.get(URL).content.decode()
    total = re.search(r'<th scope="col" aria-sort="descending" class="numeric">\s*<a href="\?([^"]+)"', page)
    assert total is not None and "o=total" in total[1]  # sorted by total, biggest first: a click reverses
    user_link = re.search(r'<th scope="col" aria-sort="none">\s*<a href="\?([^"]+)">User', page)
    assert user_link is not None
    sorted_page = operator_client.get(f"{URL}?{user_link[1].replace('&amp;', '&')}").content.decode()
    assert sorted_page.index("alice@example.com") < sorted_page.index("bob@example.com")
    assert 'aria-sort="ascending"' in sorted_page


def test_sorting_by_month_in_python_keeps_empty_values_last(operator_client: Any, user: Any) -> None:
    ClusterFactory(created_by=user, cost=Decimal(2))
    ClusterFactory(created_by=user, cost=Decimal(7), created_at=last_month())
    assert column(table(operator_client, "months", o="total"), "Total (USD)") == ["2.00", "7.00"]
    assert column(table(operator_client, "months", o="-total"), "Total (USD)") == ["7.00", "2.00"]


# --- CSV ------------------------------------------------------------------------------


def test_the_csv_is_an_attachment_named_for_the_report_and_month(operator_client: Any) -> None:
    response = operator_client.get(f"{URL}groups/", {"month": "2026-11", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="atmo-costs-groups-2026-11.csv"'


def test_csv_cells_are_escaped_and_never_start_a_formula(operator_client: Any, user: Any) -> None:
    for name in ('=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)", 'quote " and, comma'):
        group = Group.objects.create(name=name)
        member = UserFactory()
        member.groups.add(group)
        ClusterFactory(created_by=member, cost=Decimal(1))

    body = operator_client.get(f"{URL}groups/", {"format": "csv", "o": "group"}).content.decode()
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in body
    assert '"quote "" and, comma"' in body
    names = column(list(csv.reader(io.StringIO(body))), "Group")
    link = '\'=HYPERLINK("http://evil.example","x")'
    assert sorted(names) == ["'+1", "'-2", link, "'@SUM(A1)", 'quote " and, comma']
    assert body.endswith("\r\n")


# --- Query count ----------------------------------------------------------------------


def spend_a_lot(count: int) -> None:
    """``count`` users in a group, each with a cluster stopped idle, one at expiry, and a job run."""
    group = Group.objects.create(name=f"group-{count}")
    for n in range(count):
        person = UserFactory(username=f"spender{count}-{n}@example.com")
        person.groups.add(group)
        ClusterFactory(created_by=person, cost=Decimal(n), idle_timeout=2, idle_stopped_at=month_start())
        expired = {"terminated": True, "termination_reason": Cluster.TERMINATED_AT_EXPIRY}
        ClusterFactory(created_by=person, cost=Decimal(n), **expired)
        job = SparkJobFactory(created_by=person, identifier=f"job-{count}-{n}")
        SparkJobRunFactory(spark_job=job, cost=Decimal(1))


def queries_of(client: Any, path: str, params: dict[str, str]) -> int:
    """The page's queries, but for reading the session from PostgreSQL.

    Sessions are read through Redis (``cached_db``); on this shared machine Redis
    may drop the key between two pages, which costs one query that is not the report's.
    """
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    return sum('"django_session"' not in query["sql"] for query in queries.captured_queries)


#: The user (sessions live in Redis), the user's and their groups' permissions, then the report's own:
#: one query (jobs, full lifetime), two (users, groups, months: clusters, then runs),
#: or the price and the rows (idle).
EXPECTED_QUERIES = {"users": 5, "groups": 5, "jobs": 4, "months": 5, "idle": 5, "full-lifetime": 4}


@pytest.mark.parametrize("params", [{}, {"format": "csv"}, {"month": "all", "o": "-clusters"}])
@pytest.mark.parametrize("report", REPORTS)
def test_the_query_count_does_not_grow_with_the_rows(
    operator_client: Any, report: str, params: dict[str, str]
) -> None:
    path = f"{URL}{report}/"
    spend_a_lot(2)
    small = queries_of(operator_client, path, params)
    spend_a_lot(30)
    large = queries_of(operator_client, path, params)
    assert small == large == EXPECTED_QUERIES[report]
