"""The answer a disabled account gets instead of the one it asked for: a page, or an API problem."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from atmo.api.authentication import is_disabled_token
from atmo.api.problems import is_api_path, problem_response
from atmo.users.backends import ACCOUNT_DISABLED_MESSAGE
from atmo.users.sessions import ENDED_BY_DISABLING


def is_disabled_session(request: HttpRequest) -> bool:
    """Whether the request comes with the session of an account that was disabled since.

    The backends no longer authenticate such a session (its user is anonymous),
    but the session still names the account, or carries the marker that
    :func:`atmo.users.sessions.end_sessions` left in it. Only these requests
    cost a query.
    """
    user = request.user
    if user.is_authenticated:
        # Only a backend that forgot to check would let this through.
        return not user.is_active
    if request.session.get(ENDED_BY_DISABLING):
        return True
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return False
    User = get_user_model()
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:  # a garbled session is not a disabled account's
        return False
    return User.objects.filter(pk=pk, is_active=False).exists()


class DisabledAccountMiddleware:
    """Logs out a disabled account at its next request and answers 403, saying why.

    Goes after the authentication and message middleware. Every page and
    endpoint is behind it, so no view of the account's can open, not even a
    public one that would show the person as logged in. Under ``/api/`` the
    answer is a problem document, whether the request came with the session or
    with one of the account's access tokens (which Django's authentication does
    not see: DRF reads them in the view).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = is_api_path(request.path_info)
        if not (is_disabled_session(request) or (api and is_disabled_token(request))):
            return self.get_response(request)
        logout(request)  # deletes the session, so that the next request starts afresh
        if api:
            return problem_response(403, ACCOUNT_DISABLED_MESSAGE)
        context = {"message": ACCOUNT_DISABLED_MESSAGE}
        return render(request, "users/account_disabled.html", context, status=403)
