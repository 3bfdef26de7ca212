"""Ending the sessions of an account that was disabled.

The authentication backends refuse a disabled account on every request, so its
sessions stop working at once with any session engine. Where the engine keeps
sessions in a table it can search (Django's ``db`` and ``cached_db``), they are
also emptied right away: the login, the provider's tokens and everything else
go, and only a marker is left so that the next request can say why (see
:mod:`atmo.users.middleware`). The ``cache`` and ``signed_cookies`` engines
cannot be searched; there the per-request check is what ends them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

#: Session key of a session emptied because its account was disabled.
ENDED_BY_DISABLING = "atmo_account_disabled"


def end_sessions(user: Any) -> int:
    """Empty every live session of ``user``, leaving the marker; how many were ended.

    Reads every live session of the table, since a session row does not name its
    user: fine for a portal's few hundred sessions, and only done when an
    administrator disables someone.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    user_id = str(user.pk)
    decoder = store_class()
    live = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    ended = 0
    for row in live.only("session_key", "session_data").iterator():
        if str(decoder.decode(row.session_data).get(SESSION_KEY)) != user_id:
            continue
        session = store_class(row.session_key)
        session.clear()
        session[ENDED_BY_DISABLING] = True
        session.save()
        ended += 1
    return ended
