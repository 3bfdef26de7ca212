"""The admin pages of users and groups."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from atmo.users.admin import GroupAdmin, UserAdmin

pytestmark = pytest.mark.django_db

USERS_URL = "/admin/auth/user/"
GROUPS_URL = "/admin/auth/group/"


@pytest.fixture
def staff_client(client: Any, user: Any) -> Any:
    """A staff member who may manage users but is no superuser."""
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(user)
    return client


def test_atmo_admins_replace_the_stock_ones() -> None:
    assert type(admin.site._registry[get_user_model()]) is UserAdmin
    assert type(admin.site._registry[Group]) is GroupAdmin


def test_the_user_list_shows_flags_and_times(admin_client: Any, user2: Any) -> None:
    Group.objects.get_or_create(name=settings.SPARK_JOB_MAINTAINERS_GROUP)  # the groups filter needs one
    response = admin_client.get(USERS_URL)
    assert response.status_code == 200
    columns = ["username", "email", "is_staff", "is_superuser", "is_active", "last_login", "date_joined"]
    assert response.context["cl"].list_display[1:] == columns  # after the action checkbox
    body = response.content.decode()
    assert all(f'class="sortable column-{column}' in body for column in columns)
    filters = [spec.title for spec in response.context["cl"].filter_specs]
    assert filters == ["staff status", "superuser status", "active", "groups", "date joined"]


def test_the_user_list_searches_usernames_and_emails(admin_client: Any, user2: Any) -> None:
    user2.username = "bob"
    user2.save()
    by_email = admin_client.get(USERS_URL, {"q": "bob@example.com"}).context["cl"].result_list
    by_name = admin_client.get(USERS_URL, {"q": "bob"}).context["cl"].result_list
    assert list(by_email) == list(by_name) == [user2]


def test_the_user_list_filters_by_group(admin_client: Any, user2: Any) -> None:
    maintainers, _ = Group.objects.get_or_create(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    user2.groups.add(maintainers)
    shown = admin_client.get(USERS_URL, {"groups__id__exact": maintainers.pk}).context["cl"].result_list
    assert list(shown) == [user2]


def test_last_login_and_date_joined_are_read_only(admin_client: Any, user2: Any) -> None:
    page = admin_client.get(f"{USERS_URL}{user2.pk}/change/")
    form = page.context["adminform"].form
    assert "last_login" not in form.fields and "date_joined" not in form.fields
    assert "is_superuser" in form.fields
    body = page.content.decode()
    assert 'name="date_joined' not in body and 'name="last_login' not in body


def change_data(account: Any, **fields: Any) -> dict[str, Any]:
    """The user change form, as posted: ``account`` as it is, with ``fields`` changed."""
    data = {
        "username": account.username,
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
    }
    if account.is_active:
        data["is_active"] = "on"
    data.update(fields)
    return data


def test_superusers_may_set_every_flag_group_and_permission(admin_client: Any, user2: Any) -> None:
    fields = admin_client.get(f"{USERS_URL}{user2.pk}/change/").context["adminform"].form.fields
    assert {"is_staff", "is_superuser", "groups", "user_permissions"} <= set(fields)


def test_staff_who_are_not_superusers_cannot_grant_themselves_anything(staff_client: Any, user: Any) -> None:
    url = f"{USERS_URL}{user.pk}/change/"
    form_fields = staff_client.get(url).context["adminform"].form.fields
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(form_fields)
    group = Group.objects.create(name="Everything")
    group.permissions.set(Permission.objects.all())
    before = set(user.user_permissions.values_list("pk", flat=True))

    response = staff_client.post(
        url,
        change_data(
            user,
            first_name="Alice",
            is_superuser="on",
            groups=[group.pk],
            user_permissions=list(Permission.objects.values_list("pk", flat=True)),
        ),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Alice"  # what they may change, they did
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert not user.groups.exists()
    assert set(user.user_permissions.values_list("pk", flat=True)) == before


def test_staff_who_are_not_superusers_cannot_make_someone_staff(staff_client: Any, user2: Any) -> None:
    staff_client.post(f"{USERS_URL}{user2.pk}/change/", change_data(user2, is_staff="on"))
    user2.refresh_from_db()
    assert not user2.is_staff


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_staff_who_are_not_superusers_cannot_change_a_superuser_or_other_staff(
    staff_client: Any, user2: Any, flag: str
) -> None:
    """Logins match accounts by email: changing it would hand over the account."""
    setattr(user2, flag, True)
    user2.is_staff = True
    user2.save()
    url = f"{USERS_URL}{user2.pk}/change/"

    page = staff_client.get(url)
    posted = staff_client.post(url, change_data(user2, email="mallory@example.com"))
    password = staff_client.post(
        f"{USERS_URL}{user2.pk}/password/",
        {"password1": "Taken0ver!x", "password2": "Taken0ver!x", "usable_password": "true"},
    )
    deleted = staff_client.post(f"{USERS_URL}{user2.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200 and not page.context["has_change_permission"]  # read only
    assert (posted.status_code, password.status_code, deleted.status_code) == (403, 403, 403)
    user2.refresh_from_db()
    assert user2.email == "bob@example.com"
    assert not user2.check_password("Taken0ver!x")


def test_the_bulk_delete_spares_accounts_that_outrank_the_staff_member(staff_client: Any, user: Any) -> None:
    user.user_permissions.add(Permission.objects.get(codename="delete_user"))
    root = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "unused")

    response = staff_client.post(
        USERS_URL, {"action": "delete_selected", "_selected_action": [root.pk], "post": "yes"}
    )

    assert response.status_code == 403
    assert get_user_model().objects.filter(pk=root.pk).exists()


def test_staff_may_still_change_ordinary_accounts(staff_client: Any, user2: Any) -> None:
    response = staff_client.post(f"{USERS_URL}{user2.pk}/change/", change_data(user2, first_name="Bob"))
    assert response.status_code == 302
    user2.refresh_from_db()
    assert user2.first_name == "Bob"


def test_staff_who_are_not_superusers_cannot_grant_permissions_through_a_group(
    client: Any, user: Any
) -> None:
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_group", "change_group", "add_group"])
    )
    client.force_login(user)
    group = Group.objects.create(name="Analysts")
    everything = list(Permission.objects.values_list("pk", flat=True))

    page = client.get(f"{GROUPS_URL}{group.pk}/change/")
    changed = client.post(f"{GROUPS_URL}{group.pk}/change/", {"name": "Analysts", "permissions": everything})
    added = client.post(f"{GROUPS_URL}add/", {"name": "Admins", "permissions": everything})

    assert "permissions" not in page.context["adminform"].form.fields
    assert (changed.status_code, added.status_code) == (302, 302)
    assert not Permission.objects.filter(group__name__in=["Analysts", "Admins"]).exists()


def test_superusers_may_grant_permissions_through_a_group(admin_client: Any) -> None:
    permission = Permission.objects.get(codename="view_cluster")
    admin_client.post(f"{GROUPS_URL}add/", {"name": "Viewers", "permissions": [permission.pk]})
    assert list(Group.objects.get(name="Viewers").permissions.all()) == [permission]


def test_staff_who_are_not_superusers_cannot_grant_superuser_status(staff_client: Any, user2: Any) -> None:
    page = staff_client.get(f"{USERS_URL}{user2.pk}/change/")
    assert "is_superuser" not in page.context["adminform"].form.fields
    staff_client.post(
        f"{USERS_URL}{user2.pk}/change/",
        {"username": user2.username, "email": user2.email, "is_active": "on", "is_superuser": "on"},
    )
    user2.refresh_from_db()
    assert not user2.is_superuser


def test_the_group_list_counts_members_and_searches(admin_client: Any, user: Any, user2: Any) -> None:
    maintainers, _ = Group.objects.get_or_create(name=settings.SPARK_JOB_MAINTAINERS_GROUP)
    maintainers.user_set.add(user, user2)
    Group.objects.create(name="Nobody here")
    response = admin_client.get(GROUPS_URL, {"o": "2"})  # ordered by the member count
    groups = list(response.context["cl"].result_list)
    assert [(group.name, group.member_count) for group in groups] == [
        ("Nobody here", 0),
        (settings.SPARK_JOB_MAINTAINERS_GROUP, 2),
    ]
    assert ">2<" in response.content.decode()
    found = admin_client.get(GROUPS_URL, {"q": "maintainers"}).context["cl"].result_list
    assert list(found) == [maintainers]


def test_group_permissions_are_picked_in_two_lists(admin_client: Any) -> None:
    page = admin_client.get(f"{GROUPS_URL}add/")
    assert page.status_code == 200
    assert "selectfilter" in page.content.decode()  # the filter_horizontal widget
