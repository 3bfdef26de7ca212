from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from atmo.tasks import cleanup_permissions


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
