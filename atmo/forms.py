"""Form helpers shared by the apps: the site's form renderer, owners, re-usable uploads."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.forms.renderers import DjangoTemplates

#: How long an upload is kept for re-submission after a form error.
CACHED_FILE_TIMEOUT = 60 * 60


class BootstrapBoundField(forms.BoundField):
    """Gives each widget Bootstrap's class, plus ``is-invalid`` when the field has errors.

    Bootstrap colours a field and shows its feedback only with these classes;
    Django itself only sets ``aria-invalid``. Radio and checkbox widgets get the
    class on each of their inputs (see ``atmo/forms/field.html``).
    """

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden:
            return attrs
        # These attrs replace the widget's own "class", so both go in.
        classes = [bootstrap_class(widget), str(attrs.get("class") or widget.attrs.get("class", ""))]
        if self.errors:
            classes.append("is-invalid")
        attrs["class"] = " ".join(name for name in classes if name)
        return attrs


def bootstrap_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


class FormRenderer(DjangoTemplates):
    """Every form of the site, Bootstrap style, from one form and one field template."""

    form_template_name = "atmo/forms/form.html"
    field_template_name = "atmo/forms/field.html"
    bound_field_class = BootstrapBoundField


class InlineRadioSelect(forms.RadioSelect):
    """Radio buttons side by side: for a few short choices."""

    inline = True


class CreatedByModelFormMixin(forms.ModelForm):
    """A model form that knows its user: ``Form(user, data, files, ...)``.

    New objects get the user as owner; editing someone else's object is refused.
    """

    def __init__(self, created_by: Any, *args: Any, **kwargs: Any) -> None:
        self.created_by = created_by
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        """Refuse to edit an object that belongs to another user."""
        cleaned = super().clean() or self.cleaned_data
        instance = self.instance
        if instance.pk and instance.created_by_id != self.created_by.pk:
            raise forms.ValidationError("Access denied to the data of another user.")
        return cleaned

    def save(self, commit: bool = True) -> Any:
        """Save with the form's user as owner of a new object; an edit keeps its owner."""
        obj = super().save(commit=False)
        if not obj.created_by_id:
            obj.created_by = self.created_by
        if commit:
            obj.save()
            self.save_m2m()
        return obj


class CachedFileField(forms.FileField):
    """A file field whose upload survives a form error (see CachedFileModelFormMixin).

    The field itself is never "required" for Django; ``real_required`` is checked
    after the cache had its chance to restore a previous upload.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.real_required = kwargs.pop("required", True)
        super().__init__(*args, required=False, **kwargs)


class CachedFileHiddenInput(forms.HiddenInput):
    """The hidden token of a cached upload, shown with the cached file's name."""

    template_name = "atmo/widgets/cached_file_hidden.html"

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["cached_name"] = (cache.get(metadata_key(value)) or {}).get("name") if value else None
        return context


def metadata_key(token: str) -> str:
    return f"cachedfile_{token}_metadata"


def content_key(token: str) -> str:
    return f"cachedfile_{token}_content"


class CachedFileModelFormMixin(forms.Form):
    """Keeps uploads of CachedFileFields in the cache, keyed by a hidden token.

    When another field fails validation, the user does not pick the file again:
    the next submission carries the token and the file comes back from the cache.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cached_file_fields = {
            name: field for name, field in self.fields.items() if isinstance(field, CachedFileField)
        }
        for name in list(self.cached_file_fields):
            self.fields[f"{name}-cache"] = forms.CharField(
                max_length=32,
                initial=uuid.uuid4().hex,
                widget=CachedFileHiddenInput,
                required=False,
            )
        self.order_fields(self._ordering_with_cache_fields())

    def _ordering_with_cache_fields(self) -> list[str]:
        order: list[str] = []
        for name in self.fields:
            if name.endswith("-cache") and name[: -len("-cache")] in self.cached_file_fields:
                continue
            order.append(name)
            if name in self.cached_file_fields:
                order.append(f"{name}-cache")
        return order

    def _token(self, name: str) -> str:
        raw = (self.data.get(self.add_prefix(f"{name}-cache")) or "").strip()
        # Only our own uuid4 hex tokens: a posted value is never used as a raw cache key.
        try:
            return uuid.UUID(hex=raw).hex if raw else ""
        except ValueError:
            return ""

    def clean(self) -> dict[str, Any]:
        """Cache a new upload under its token, or restore the cached one when none came.

        A required cached-file field is checked only then: an upload kept from the
        previous submission satisfies it.
        """
        cleaned = super().clean() or self.cleaned_data
        for name, field in self.cached_file_fields.items():
            token = self._token(name)
            upload = cleaned.get(name)
            if isinstance(upload, UploadedFile) and token:
                self._store(token, upload)
            elif not upload and token:
                restored = self._restore(token)
                if restored is not None:
                    cleaned[name] = restored
                    # So that save() treats the restored file as a new upload.
                    if name not in self.changed_data:
                        self.changed_data.append(name)
            if field.real_required and not cleaned.get(name) and name not in self.errors:
                self.add_error(name, field.error_messages["required"])
        return cleaned

    def _store(self, token: str, upload: UploadedFile) -> None:
        upload.seek(0)
        content = upload.read()
        upload.seek(0)
        metadata = {
            "name": upload.name,
            "size": upload.size,
            "content_type": upload.content_type,
            "charset": upload.charset,
        }
        cache.set_many({metadata_key(token): metadata, content_key(token): content}, CACHED_FILE_TIMEOUT)

    def _restore(self, token: str) -> UploadedFile | None:
        metadata = cache.get(metadata_key(token))
        content = cache.get(content_key(token))
        if metadata is None or content is None:
            return None
        return SimpleUploadedFile(metadata["name"], content, metadata["content_type"])

    def forget_cached_files(self) -> None:
        """Drop the cached uploads once the form has been saved."""
        for name in self.cached_file_fields:
            token = self._token(name)
            if token:
                cache.delete_many([metadata_key(token), content_key(token)])
