"""The page where users create, list and revoke their personal access tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from atmo.api.forms import AccessTokenForm
from atmo.api.models import AccessToken


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def list_tokens(request: HttpRequest) -> HttpResponse:
    """The user's tokens and the form for a new one; a new token's secret is shown on this answer only.

    The secret is rendered into the answer to the POST, never stored (not even
    in a flash message, which may live in a cookie): reloading cannot show it again.
    """
    form = AccessTokenForm(data=request.POST if request.method == "POST" else None)
    secret = ""
    new_token = None
    if request.method == "POST" and form.is_valid():
        new_token, secret = form.issue(request.user)
        form = AccessTokenForm()
    context = {
        "form": form,
        "tokens": AccessToken.objects.filter(user=request.user.pk),
        "new_token": new_token,
        "secret": secret,
        "now": timezone.now(),
    }
    return render(request, "api/tokens.html", context, status=201 if secret else 200)


@login_required
@require_POST
def revoke_token(request: HttpRequest, id: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another user's is a 404)."""
    token = get_object_or_404(AccessToken, pk=id, user=request.user)
    if token.revoke():
        messages.success(request, format_html("Token <strong>{}</strong> revoked.", token.name))
    else:
        messages.info(request, format_html("Token <strong>{}</strong> was already revoked.", token.name))
    return redirect("tokens-list")
