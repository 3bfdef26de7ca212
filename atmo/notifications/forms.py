"""The form of a webhook endpoint: the site's page and the API both use it."""

from __future__ import annotations

import ipaddress
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms

from atmo.forms import CreatedByModelFormMixin
from atmo.jobs.models import SparkJob
from atmo.notifications import Event
from atmo.notifications.delivery import allowed_hosts, is_public
from atmo.notifications.models import WebhookEndpoint

MESSAGES = {
    "scheme": "Enter an http:// or https:// URL.",
    "private": (
        "ATMO only calls public addresses; %(host)s is private, loopback or link-local. "
        "An administrator can allow a host in the live settings."
    ),
    "no_events": "Choose at least one event.",
    "job_and_cluster": (
        "An endpoint of one job hears about its runs and expiry only: untick “%(label)s”, "
        "or choose all your jobs and clusters."
    ),
    "name_required": "Name the endpoint after what receives it, e.g. “team channel”.",
}


class WebhookEndpointForm(CreatedByModelFormMixin):
    """Name, URL, format, events and (optionally) the one job of a new endpoint."""

    prefix = "webhook"

    target_url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where ATMO POSTs the events (http or https, a public address).",
    )
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": MESSAGES["no_events"]},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "target_url", "format", "events", "spark_job"]
        widgets = {"format": forms.RadioSelect}
        error_messages = {"name": {"required": MESSAGES["name_required"]}}

    def __init__(self, created_by: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("events", list(Event.values))
        super().__init__(created_by, *args, **kwargs)
        # No empty choice for radio buttons.
        cast(forms.ChoiceField, self.fields["format"]).choices = WebhookEndpoint.Format.choices
        jobs = cast(forms.ModelChoiceField, self.fields["spark_job"])
        jobs.queryset = SparkJob.objects.filter(created_by=created_by).order_by("identifier")
        jobs.empty_label = "All my jobs and clusters"
        jobs.label_from_instance = job_label  # type: ignore[method-assign,assignment]

    def clean_target_url(self) -> str:
        url: str = self.cleaned_data["target_url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError(MESSAGES["scheme"], code="scheme")
        host = (parts.hostname or "").lower()
        # Names are checked when a delivery resolves them (DNS answers change); addresses now.
        if host not in allowed_hosts() and not is_public_host(host):
            raise forms.ValidationError(MESSAGES["private"], code="private", params={"host": host})
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("spark_job") and Event.CLUSTER_EXPIRING in cleaned.get("events", []):
            label = Event.CLUSTER_EXPIRING.label
            self.add_error("events", forms.ValidationError(MESSAGES["job_and_cluster"] % {"label": label}))
        return cleaned


def job_label(job: SparkJob) -> str:
    return job.identifier


def is_public_host(host: str) -> bool:
    """False for ``localhost`` and for an address that is not public; a name is given the benefit."""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return is_public(host)
