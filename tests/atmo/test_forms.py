from __future__ import annotations

from django import forms

from atmo.forms import InlineRadioSelect


class NameForm(forms.Form):
    name = forms.CharField(max_length=3, help_text="Three letters.")
    colour = forms.ChoiceField(choices=[("r", "red"), ("g", "green")], widget=InlineRadioSelect)
    size = forms.ChoiceField(choices=[("s", "small"), ("l", "large")])
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def test_widgets_get_bootstrap_classes_and_is_invalid_only_with_errors() -> None:
    fresh, invalid = NameForm(), NameForm({"name": "too long", "token": "x"})
    assert not invalid.is_valid()

    assert 'class="form-control"' in str(fresh["name"])
    assert 'class="form-select"' in str(fresh["size"])
    assert 'class="form-control is-invalid"' in str(invalid["name"])
    assert 'class="form-select is-invalid"' in str(invalid["size"])
    assert "is-invalid" not in str(invalid["token"])


def test_a_field_group_shows_its_label_errors_and_help_where_aria_describedby_points() -> None:
    form = NameForm({"name": "too long"})
    group = form["name"].as_field_group()

    assert '<label class="form-label" for="id_name">Name</label>' in group
    assert 'aria-describedby="id_name_helptext id_name_error"' in group
    assert 'aria-invalid="true"' in group
    assert '<div class="invalid-feedback d-block" id="id_name_error">' in group
    assert '<div class="form-text" id="id_name_helptext">Three letters.</div>' in group


def test_radio_buttons_are_a_fieldset_of_bootstrap_checks_named_by_a_legend() -> None:
    form = NameForm({"name": "abc"})
    assert not form.is_valid()  # no colour chosen
    group = form["colour"].as_field_group()

    assert '<legend class="form-label fs-6 mb-1">Colour</legend>' in group
    assert group.count('class="form-check form-check-inline"') == 2
    assert group.count('class="form-check-input is-invalid"') == 2
    assert '<label class="form-check-label" for="id_colour_1">green</label>' in group
    assert 'id="id_colour_error"' in group


def test_the_form_lists_its_own_errors_above_the_fields() -> None:
    class CheckedForm(NameForm):
        def clean(self) -> dict:
            raise forms.ValidationError("Nothing adds up.")

    page = str(CheckedForm({"name": "abc", "colour": "r", "size": "s"}))

    assert 'role="alert"' in page
    assert page.index("Nothing adds up.") < page.index('for="id_name"')
    assert "Please correct the fields marked below." not in page
    assert "Please correct the fields marked below." in str(NameForm({"name": "too long"}))
