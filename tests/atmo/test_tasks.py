from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from atmo.tasks import cleanup_permissions, clear_expired_sessions


@pytest.mark.django_db
def test_cleanup_permissions_removes_permissions_of_deleted_objects(user: Any) -> None:
    kept, gone = Group.objects.create(name="kept"), Group.objects.create(name="gone")
    assign_perm("auth.view_group", user, kept)
    assign_perm("auth.view_group", user, gone)
    gone.delete()

    # Through Celery's own call path, as the beat schedule runs it.
    result = cleanup_permissions.apply()

    assert result.get() == 1
    assert list(UserObjectPermission.objects.values_list("object_pk", flat=True)) == [str(kept.pk)]


@pytest.mark.django_db
def test_clear_expired_sessions_deletes_only_the_expired_ones() -> None:
    for expiry in (-60, 3600):
        session = SessionStore()
        session.set_expiry(expiry)
        session.create()
        Session.objects.filter(session_key=session.session_key).update(
            expire_date=timezone.now() + timedelta(seconds=expiry)
        )

    clear_expired_sessions.apply().get()

    assert [s.expire_date > timezone.now() for s in Session.objects.all()] == [True]
