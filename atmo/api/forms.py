"""The form to create a personal access token."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from atmo.api.models import AccessToken
from atmo.forms import InlineRadioSelect

#: The longest a token may live: a leaked one stops working within a year at most.
MAX_LIFETIME_DAYS = 366
DEFAULT_LIFETIME_DAYS = 30

MESSAGES = {
    "past": "Choose a date after today.",
    "too_far": f"A token lives at most {MAX_LIFETIME_DAYS} days; choose an earlier date.",
    "name_required": "Name the token after what will use it, e.g. “laptop CLI”.",
}


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in UTC, when a token of that expiry date stops working."""
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


class AccessTokenForm(forms.ModelForm):
    """Name, scope and expiry date of a new token."""

    prefix = "token"

    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"The token works until the end of this day (UTC), at most {MAX_LIFETIME_DAYS} days away.",
    )

    class Meta:
        model = AccessToken
        fields = ["name", "scope"]
        widgets = {"scope": InlineRadioSelect}
        error_messages = {"name": {"required": MESSAGES["name_required"]}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "expires_on", timezone.now().date() + timedelta(days=DEFAULT_LIFETIME_DAYS)
        )
        super().__init__(*args, **kwargs)
        cast(
            forms.ChoiceField, self.fields["scope"]
        ).choices = AccessToken.Scope.choices  # no empty choice for radio buttons

    def clean_expires_on(self) -> date:
        day: date = self.cleaned_data["expires_on"]
        today = timezone.now().date()
        if day <= today:
            raise forms.ValidationError(MESSAGES["past"], code="past")
        if day > today + timedelta(days=MAX_LIFETIME_DAYS):
            raise forms.ValidationError(MESSAGES["too_far"], code="too_far")
        return day

    def issue(self, user: Any) -> tuple[AccessToken, str]:
        """Make the token for ``user``; returns it with its secret (shown once)."""
        return AccessToken.issue(
            user,
            name=self.cleaned_data["name"],
            scope=self.cleaned_data["scope"],
            expires_at=end_of_day(self.cleaned_data["expires_on"]),
        )
