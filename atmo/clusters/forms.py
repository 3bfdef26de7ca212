"""Forms to launch a cluster and to extend its lifetime."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString

from atmo.clusters.models import (
    EMR_RELEASE_HELP,
    Cluster,
    EMRRelease,
    default_idle_timeout,
    idle_timeout_bounds,
    max_cluster_size,
)
from atmo.costs.budgets import refusal_for
from atmo.forms import CreatedByModelFormMixin
from atmo.keys.models import SSHKey

#: Up to this many keys are shown as radio buttons; more become a drop-down.
MAX_RADIO_KEYS = 6
MIN_CLUSTER_SIZE = 1
MIN_CLUSTER_LIFETIME = 2
MIN_EXTENSION = 2
MAX_EXTENSION = 24
DEFAULT_EXTENSION = 8

# Escaped "-": browsers compile `pattern` with the `v` flag, where a bare "-" in a class is an error.
IDENTIFIER_PATTERN = r"[a-z0-9\-]{1,100}"
IDENTIFIER_MESSAGE = "Use only lowercase letters (a-z), digits and hyphens, at most 100 characters."

#: What a user reads when no release, or one no longer offered, was chosen.
RELEASE_ERRORS = {
    "required": "Choose an EMR release.",
    "invalid_choice": "That EMR release is not offered anymore; choose another one.",
}

#: Bootstrap badge colour of each release badge.
BADGE_CLASSES = {"experimental": "text-bg-info", "deprecated": "text-bg-warning"}


def max_cluster_lifetime() -> int:
    """The longest lifetime, in hours, a new cluster may ask for."""
    return settings.AWS_CONFIG["MAX_CLUSTER_LIFETIME"]


def _ssh_key_help() -> SafeString:
    # Built at render time: the URLs are reversed only when the page is shown.
    return format_html(
        'The public key installed on the cluster. <a href="{}">Manage your keys</a> or '
        '<a href="{}">add one</a>.',
        reverse("keys-list"),
        reverse("keys-new"),
    )


ssh_key_help = lazy(_ssh_key_help, SafeString)


class IdentifierField(forms.RegexField):
    """A name of lowercase letters, digits and hyphens, as EMR and S3 paths take it."""

    def __init__(
        self, *, required_message: str, widget: type[forms.TextInput] = forms.TextInput, **kwargs: Any
    ) -> None:
        kwargs.setdefault("label", "Identifier")
        super().__init__(
            # The pattern also bounds the length, so an over-long name gets one
            # message instead of a length error and a pattern error.
            regex=rf"^{IDENTIFIER_PATTERN}$",
            error_messages={"required": required_message, "invalid": IDENTIFIER_MESSAGE},
            widget=widget(
                attrs={
                    "pattern": IDENTIFIER_PATTERN,
                    "maxlength": 100,
                    "title": IDENTIFIER_MESSAGE,
                    "autocomplete": "off",
                    "spellcheck": "false",
                }
            ),
            **kwargs,
        )


class ClusterSizeField(forms.IntegerField):
    """A number of nodes, at least one; :meth:`limit_to` sets the largest, once the user is known."""

    def __init__(self, *, noun: str, verb: str, **kwargs: Any) -> None:
        super().__init__(
            min_value=MIN_CLUSTER_SIZE,
            error_messages={
                "min_value": f"A {noun} {verb} at least %(limit_value)s node.",
                "max_value": f"A {noun} {verb} at most %(limit_value)s nodes.",
            },
            **kwargs,
        )

    def limit_to(self, limit: int, advice: str = "") -> None:
        """Refuse more than ``limit`` nodes, in the browser too, and say so in the help text."""
        self.max_value = limit
        self.validators.append(MaxValueValidator(limit))
        self.widget.attrs["max"] = limit
        self.help_text = f"Number of nodes, between {MIN_CLUSTER_SIZE} and {limit}.{advice}"


class ReleaseRadioSelect(forms.RadioSelect):
    """EMR releases as radio buttons, each followed by its help text and changelog link."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        release = getattr(option["value"], "instance", None)
        if release is not None and (release.help_text or release.changelog_link):
            help_id = f"{option['attrs']['id']}_help"
            option["attrs"]["aria-describedby"] = help_id
            option["help"] = render_to_string(
                "clusters/_release_help.html", {"release": release, "help_id": help_id}
            )
        return option


class EMRReleaseChoiceField(forms.ModelChoiceField):
    """The active EMR releases, newest first, as radio buttons with their badges."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "EMR release")
        kwargs.setdefault("help_text", EMR_RELEASE_HELP)
        kwargs.setdefault("error_messages", RELEASE_ERRORS)
        super().__init__(
            queryset=EMRRelease.objects.active().natural_sort_by_version(),
            required=True,
            empty_label=None,
            widget=ReleaseRadioSelect,
            **kwargs,
        )

    def label_from_instance(self, obj: EMRRelease) -> str:
        badge = obj.badge
        if not badge:
            return obj.version
        return format_html('{} <span class="badge {}">{}</span>', obj.version, BADGE_CLASSES[badge], badge)


class SSHKeyChoiceField(forms.ModelChoiceField):
    """The user's keys, each shown with its type and SHA256 fingerprint, to tell them apart."""

    def label_from_instance(self, obj: SSHKey) -> str:
        return format_html(
            '<span class="fw-semibold text-break">{}</span> '
            '<span class="badge text-bg-light border">{}</span>'
            '<span class="d-block font-monospace small text-body-secondary text-break">{}</span>',
            obj.title,
            obj.type_name,
            obj.fingerprint,
        )

    @staticmethod
    def plain_label(obj: SSHKey) -> str:
        """The label for a drop-down, whose options hold text only."""
        return f"{obj.title} · {obj.type_name} · {obj.fingerprint}"


class NewClusterForm(CreatedByModelFormMixin):
    """A new cluster of the form's user; the view enqueues its provisioning."""

    prefix = "new"

    identifier = IdentifierField(
        required_message="Give the cluster a name.",
        help_text="A name for the cluster, shown here and in the AWS console. "
        "Lowercase letters, digits and hyphens; it need not be unique.",
    )
    size = ClusterSizeField(noun="cluster", verb="has", label="Size")
    lifetime = forms.IntegerField(
        label="Lifetime in hours",
        min_value=MIN_CLUSTER_LIFETIME,
        error_messages={
            "min_value": "A cluster lives at least %(limit_value)s hours.",
            "max_value": "A cluster lives at most %(limit_value)s hours; you can extend it later.",
        },
    )
    idle_timeout = forms.IntegerField(
        label="Stop when idle for (hours)",
        error_messages={
            "required": "Choose after how many idle hours the cluster stops.",
            "min_value": "The cluster may idle at least %(limit_value)s hour(s) before it stops.",
            "max_value": "The cluster may idle at most %(limit_value)s hours before it stops.",
        },
    )
    ssh_key = SSHKeyChoiceField(
        label="SSH key",
        queryset=SSHKey.objects.none(),
        empty_label=None,
        help_text=ssh_key_help(),
    )
    emr_release = EMRReleaseChoiceField()

    class Meta:
        model = Cluster
        fields = ["identifier", "size", "lifetime", "idle_timeout", "ssh_key", "emr_release"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit_size()
        self._limit_lifetime()
        self._limit_idle_timeout()
        self._offer_own_keys()
        #: Why the user may not launch now: a used-up budget (shown above the form too).
        self.budget_refusal = refusal_for(self.created_by)

    def clean(self) -> dict[str, Any]:
        """Refuse the whole launch while a budget of the user is used up."""
        cleaned = super().clean()
        if self.budget_refusal:
            raise forms.ValidationError(self.budget_refusal, code="budget")
        return cleaned

    def _limit_idle_timeout(self) -> None:
        low, high = idle_timeout_bounds()  # live settings: read per form
        field = cast(forms.IntegerField, self.fields["idle_timeout"])
        field.min_value, field.max_value = low, high
        field.validators += [MinValueValidator(low), MaxValueValidator(high)]
        field.widget.attrs.update(min=low, max=high)
        field.initial = default_idle_timeout()
        field.help_text = (
            f"With no step running for this long, AWS stops the cluster so it costs nothing idle; "
            f"between {low} and {high} hours."
        )

    def _limit_size(self) -> None:
        field = cast(ClusterSizeField, self.fields["size"])
        # Maintainers (a global permission, given to users or groups) run big
        # clusters for heavy analyses: no upper bound for them.
        if self.created_by.has_perm("clusters.maintain_cluster"):
            field.help_text = "Number of nodes; no maximum for cluster maintainers. Use it wisely."
            return
        field.limit_to(max_cluster_size(), advice=" 1 is enough to try things out.")

    def _limit_lifetime(self) -> None:
        # Read here, not at import time, so a changed setting applies at once.
        limit = max_cluster_lifetime()
        field = cast(forms.IntegerField, self.fields["lifetime"])
        field.max_value = limit
        field.validators.append(MaxValueValidator(limit))
        field.widget.attrs.update(min=MIN_CLUSTER_LIFETIME, max=limit)
        field.help_text = (
            f"Hours until the cluster shuts down by itself, between {MIN_CLUSTER_LIFETIME} and {limit}. "
            "You get an email an hour before, and can extend it."
        )

    def _offer_own_keys(self) -> None:
        field = cast(forms.ModelChoiceField, self.fields["ssh_key"])
        field.queryset = SSHKey.objects.filter(created_by=self.created_by).order_by("-created_at", "-pk")
        # Read the keys once: the widgets would each run the query again, and a
        # drop-down once more to check its first option, so the page's query
        # count would depend on how many keys the user has.
        choices = list(field.iterator(field))
        if len(choices) <= MAX_RADIO_KEYS:
            # A few keys read best side by side; a long list stays a compact drop-down.
            widget = forms.RadioSelect()
            widget.is_required = field.required
            field.widget = widget
        else:
            # django-stubs does not declare ModelChoiceIteratorValue.instance.
            choices = [
                (value, SSHKeyChoiceField.plain_label(value.instance))  # type: ignore[union-attr]
                for value, _ in choices
            ]
        field.widget.choices = choices


class ExtendClusterForm(forms.Form):
    """How many hours to add to a cluster's expiry."""

    prefix = "extend"

    extension = forms.IntegerField(
        label="Lifetime extension in hours",
        min_value=MIN_EXTENSION,
        max_value=MAX_EXTENSION,
        initial=DEFAULT_EXTENSION,
        widget=forms.NumberInput(attrs={"min": MIN_EXTENSION, "max": MAX_EXTENSION}),
        error_messages={
            "min_value": "Extend by at least %(limit_value)s hours.",
            "max_value": "Extend by at most %(limit_value)s hours at a time.",
        },
        help_text=f"Between {MIN_EXTENSION} and {MAX_EXTENSION} hours, added to the current expiry time.",
    )
