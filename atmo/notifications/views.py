"""The page of a user's webhook endpoints: add one, see its deliveries, delete it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from atmo.notifications.forms import WebhookEndpointForm
from atmo.notifications.models import WebhookEndpoint


def get_endpoint_for(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    """The user's own endpoint; another user's is a 404, as one that does not exist."""
    endpoints = WebhookEndpoint.objects.select_related("spark_job")
    return get_object_or_404(endpoints, pk=endpoint_id, created_by=request.user.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def list_webhooks(request: HttpRequest) -> HttpResponse:
    """The user's endpoints and the form for a new one; a new one's secret is shown on this answer only."""
    form = WebhookEndpointForm(request.user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save()
        context = {"endpoint": endpoint, "deliveries": [], "secret": endpoint.secret}
        return render(request, "notifications/detail.html", context, status=201)
    endpoints = WebhookEndpoint.objects.filter(created_by=request.user.pk).select_related("spark_job")
    return render(request, "notifications/list.html", {"form": form, "endpoints": endpoints})


@login_required
@require_safe
def detail_webhook(request: HttpRequest, id: int) -> HttpResponse:
    endpoint = get_endpoint_for(request, id)
    context = {"endpoint": endpoint, "deliveries": endpoint.recent_deliveries()}
    return render(request, "notifications/detail.html", context)


@login_required
@require_POST
def delete_webhook(request: HttpRequest, id: int) -> HttpResponse:
    """Delete the endpoint and its deliveries: nothing more is sent to it."""
    endpoint = get_endpoint_for(request, id)
    endpoint.delete()
    messages.success(request, format_html("Webhook <strong>{}</strong> deleted.", endpoint.name))
    return redirect("webhooks-list")
