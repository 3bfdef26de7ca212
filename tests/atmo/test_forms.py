from __future__ import annotations

from django import forms

from atmo.forms import AutoClassFormMixin


class NameForm(AutoClassFormMixin, forms.Form):
    name = forms.CharField(max_length=3)
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def test_widgets_get_bootstrap_classes_and_is_invalid_only_with_errors() -> None:
    fresh, invalid = NameForm(), NameForm({"name": "too long"})
    assert not invalid.is_valid()

    assert 'class="form-control"' in str(fresh["name"])
    assert 'class="form-control is-invalid"' in str(invalid["name"])
    assert "is-invalid" not in str(invalid["token"])
