"""Budgets: 80 % and 100 % mails once per threshold and month, concurrent sweeps too; refusal at 100 %."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.urls import reverse

from atmo.clusters.models import Cluster
from atmo.costs import budgets
from atmo.costs.models import Budget, BudgetAlert
from atmo.costs.spend import month_start
from atmo.jobs import tasks as job_tasks
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.clusters.pages import messages_of, new_cluster_post
from tests.jobs.factories import SparkJobFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


def spend(user: Any, dollars: str) -> Cluster:
    """A cluster of ``user`` that cost ``dollars`` this month."""
    return ClusterFactory(created_by=user, terminated=True, cost=Decimal(dollars))


def test_a_budget_is_a_users_or_a_groups_not_both(user: Any) -> None:
    from django.db import IntegrityError, transaction

    group = Group.objects.create(name="analysts")
    for owners in [{}, {"user": user, "group": group}]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Budget.objects.create(monthly_limit=10, **owners)


def test_the_80_and_100_percent_mails_go_once_each_per_month(user: Any) -> None:
    Budget.objects.create(user=user, monthly_limit=Decimal(100))
    spend(user, "50")
    assert budgets.check_budgets() == []
    spend(user, "35")
    budget_id = Budget.objects.get().pk
    assert budgets.check_budgets() == [(budget_id, 80)]
    assert budgets.check_budgets() == []
    spend(user, "20")
    assert budgets.check_budgets() == [(budget_id, 100)]
    assert budgets.check_budgets() == []

    assert [message.to for message in mail.outbox] == [[user.email], [user.email]]
    assert "80 % of the ATMO budget" in mail.outbox[0].subject
    assert "is used up" in mail.outbox[1].subject
    assert "$105.00 of it is spent" in mail.outbox[1].body


def test_a_jump_past_both_thresholds_is_one_mail(user: Any) -> None:
    budget = Budget.objects.create(user=user, monthly_limit=Decimal(10))
    spend(user, "12")
    assert budgets.check_budgets() == [(budget.pk, 100)]
    assert len(mail.outbox) == 1
    assert sorted(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]


def test_a_group_budget_counts_its_members_and_mails_its_maintainers(user: Any, user2: Any) -> None:
    group = Group.objects.create(name="analysts")
    group.user_set.add(user, user2)
    lead = UserFactory(username="lead@example.com")
    budget = Budget.objects.create(group=group, monthly_limit=Decimal(100))
    budget.maintainers.add(lead)
    spend(user, "50")
    spend(user2, "40")
    spend(UserFactory(), "1000")  # not a member

    assert budgets.check_budgets() == [(budget.pk, 80)]
    assert mail.outbox[0].to == ["lead@example.com"]
    assert "of the group analysts" in mail.outbox[0].subject


def test_a_failed_mail_gives_its_claim_back(user: Any, settings: Any) -> None:
    Budget.objects.create(user=user, monthly_limit=Decimal(10))
    spend(user, "9")
    settings.EMAIL_BACKEND = "tests.costs.test_budgets.BrokenBackend"
    assert budgets.check_budgets() == []
    assert not BudgetAlert.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert len(budgets.check_budgets()) == 1


class BrokenBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_mail_each_threshold_once(user: Any) -> None:
    Budget.objects.create(user=user, monthly_limit=Decimal(100))
    spend(user, "85")
    results = run_concurrently(budgets.check_budgets, workers=2)
    assert sorted(len(result) for result in results) == [0, 1]
    spend(user, "20")
    results = run_concurrently(budgets.check_budgets, workers=2)
    assert sorted(len(result) for result in results) == [0, 1]

    assert len(mail.outbox) == 2
    assert sorted(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]


def run_concurrently(function: Any, workers: int) -> list[Any]:
    """Run ``function`` in ``workers`` threads, each on its own database connection, all at once."""
    barrier = threading.Barrier(workers)
    results: list[Any] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(function())
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_at_100_percent_a_new_cluster_is_refused_with_a_clear_message(client_for: Any, user: Any) -> None:
    Budget.objects.create(user=user, monthly_limit=Decimal(20))
    spend(user, "20")
    key = SSHKeyFactory(created_by=user)
    client = client_for(user)

    page = client.get(reverse("clusters-new")).content.decode()
    assert 'data-testid="budget-refusal"' in page
    response = client.post(reverse("clusters-new"), new_cluster_post(key, EMRReleaseFactory()))
    assert response.status_code == 200
    assert "Your monthly budget of $20.00 is used up: $20.00 spent in" in response.content.decode()
    assert Cluster.objects.filter(most_recent_status=Cluster.REQUESTED).count() == 0


def test_below_100_percent_or_with_an_exception_launching_is_allowed(user: Any) -> None:
    budget = Budget.objects.create(user=user, monthly_limit=Decimal(20))
    spend(user, "19.99")
    assert budgets.refusal_for(user) is None
    spend(user, "1")
    assert budgets.refusal_for(user) is not None
    budget.exception_month = month_start().date()
    budget.save()
    assert budgets.refusal_for(user) is None


def test_a_group_budget_used_up_refuses_its_members(user: Any) -> None:
    group = Group.objects.create(name="analysts")
    group.user_set.add(user)
    Budget.objects.create(group=group, monthly_limit=Decimal(5))
    spend(user, "6")
    refusal = budgets.refusal_for(user)
    assert refusal is not None and "group analysts" in refusal


def test_at_100_percent_a_manual_run_is_refused_without_asking_aws(
    client_for: Any, user: Any, aws: Any
) -> None:
    job = SparkJobFactory(created_by=user)
    Budget.objects.create(user=user, monthly_limit=Decimal(1))
    spend(user, "1")
    for method in ("get", "post"):
        response = getattr(client_for(user), method)(job.urls.run)
        assert response.status_code == 302
        assert "is used up" in messages_of(response)[0]
    assert not job.runs.exists()


@pytest.mark.parametrize(("hard_stop", "stopped"), [(False, False), (True, True)])
def test_scheduled_runs_go_on_unless_the_operators_chose_a_hard_stop(
    user: Any, live_setting: Any, hard_stop: bool, stopped: bool
) -> None:
    live_setting(BUDGET_HARD_STOP=hard_stop)
    Budget.objects.create(user=user, monthly_limit=Decimal(1))
    spend(user, "2")
    assert budgets.scheduled_runs_stopped(user) is stopped


def test_a_due_scheduled_run_over_a_hard_stopped_budget_is_skipped(
    user: Any, live_setting: Any, aws: Any
) -> None:
    live_setting(BUDGET_HARD_STOP=True)
    job = SparkJobFactory(created_by=user)
    Budget.objects.create(user=user, monthly_limit=Decimal(1))
    spend(user, "2")
    assert job_tasks.run_job(job.pk) == "over-budget"
    assert not job.runs.exists()
