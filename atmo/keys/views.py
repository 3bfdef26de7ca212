"""Pages to list, add, show and delete the user's SSH public keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from atmo.access import get_object_for, model_permission
from atmo.keys.forms import SSHKeyForm
from atmo.keys.models import SSHKey
from atmo.lib.listing import Listing
from atmo.pagecache import cached_page
from atmo.tombstones import bury

#: The keys page: ``?sort=name``, ``?q=laptop``, ``?page=2``, ``?per_page=50``.
KEYS_LISTING = Listing(
    sorts={"name": ["title"], "created": ["created_at"]},
    default_sort="-created",
    search="title__icontains",
)


@login_required
@require_safe
@cached_page("keys")
def list_keys(request: HttpRequest) -> HttpResponse:
    params = KEYS_LISTING.read(request.GET)
    ssh_keys = params.paginate(SSHKey.objects.filter(created_by_id=request.user.pk))
    return render(request, "keys/list.html", {"ssh_keys": ssh_keys, "params": params})


@csrf_exempt  # Checked by _add_key, once the request is known to be readable.
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_key(request: HttpRequest) -> HttpResponse:
    """The form to add a key, pasted or uploaded; a valid POST adds it.

    A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` cannot be read at all, not even
    its CSRF token, so the CSRF middleware would answer a bare 400. This view is
    exempt from the middleware and checks the token itself after that test; the
    oversized request gets the form back with the key field's size message. It
    changes nothing, so it needs no token.
    """
    if request.method == "POST" and not post_is_readable(request):
        form = SSHKeyForm.for_oversized_request(request.user)
        return render(request, "keys/new.html", {"form": form}, status=413)
    return _add_key(request)


def post_is_readable(request: HttpRequest) -> bool:
    """Whether Django accepts to read the request's form data (it refuses oversized bodies)."""
    try:
        request.POST  # noqa: B018 (reading it parses the body)
    except RequestDataTooBig:
        return False
    return True


@csrf_protect
def _add_key(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SSHKeyForm(request.user, data=request.POST, files=request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    ssh_key = form.save()
            except IntegrityError:
                # Two submissions of the same key or title at once (a double click)
                # both pass the form's checks; the database keeps one.
                for field, errors in form.conflict_errors().items():
                    form.add_error(field, errors)
            else:
                messages.success(request, format_html("Key <strong>{}</strong> added.", ssh_key.title))
                return redirect("keys-list")
    else:
        form = SSHKeyForm(request.user)
    return render(request, "keys/new.html", {"form": form})


def get_key_for(request: HttpRequest, key_id: int, action: str) -> SSHKey:
    return get_object_for(request, SSHKey.objects.all(), model_permission(SSHKey, action), pk=key_id)


@login_required
@require_safe
def detail_key(request: HttpRequest, id: int, raw: bool = False) -> HttpResponse:
    """The key's page, or with ``raw`` the bare key as text (for ``curl``)."""
    ssh_key = get_key_for(request, id, "view")
    if raw:
        return HttpResponse(ssh_key.key, content_type="text/plain; charset=utf-8")
    context = {
        "ssh_key": ssh_key,
        "active_cluster_count": ssh_key.launched_clusters.active().count(),
    }
    return render(request, "keys/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_key(request: HttpRequest, id: int) -> HttpResponse:
    """Confirm, then delete; clusters launched with the key keep running (ssh_key becomes NULL)."""
    ssh_key = get_key_for(request, id, "delete")
    if request.method == "POST":
        title, key_id = ssh_key.title, ssh_key.pk
        ssh_key.delete()
        bury(ssh_key, request.user, object_id=key_id)
        messages.success(request, format_html("Key <strong>{}</strong> deleted.", title))
        return redirect("keys-list")
    active_clusters = list(ssh_key.launched_clusters.active().order_by("-created_at"))
    context = {
        "ssh_key": ssh_key,
        "active_clusters": active_clusters,
        "past_cluster_count": ssh_key.launched_clusters.count() - len(active_clusters),
    }
    return render(request, "keys/confirm_delete.html", context)
