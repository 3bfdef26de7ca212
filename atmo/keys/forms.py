"""The form to add an SSH public key, pasted or uploaded as a ``.pub`` file."""

from __future__ import annotations

import re
import warnings
from pathlib import PurePath
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from django import forms
from django.core.files.uploadedfile import UploadedFile

from atmo.forms import CreatedByModelFormMixin
from atmo.keys.models import SSHKey
from atmo.keys.utils import calculate_fingerprint, key_blob

#: Far above any real public key (an RSA 16384 one is about 2,800 characters).
MAX_KEY_LENGTH = 100_000

PRIVATE_KEY_MARKER = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-\d+:")
OTHER_FORMAT_MARKER = re.compile(r"-{4,5} ?BEGIN (SSH2 |RSA )?PUBLIC KEY ?-{4,5}")

MESSAGES = {
    "required": "Paste your public key or choose its .pub file.",
    "too_large": "The key is larger than 100 KB; a public key is a single line well under 1 KB.",
    "file_too_large": (
        "The file is larger than 100 KB, so it cannot be a public key. "
        "Choose the .pub file, e.g. ~/.ssh/id_ed25519.pub."
    ),
    "not_text": "The file is not a text file. A public key file is plain text, e.g. ~/.ssh/id_ed25519.pub.",
    "private": "This is a private key. Paste the public one (the .pub file); keep the private key secret.",
    "other_format": (
        "This public key is in PEM or RFC 4716 format. Convert it to the one-line OpenSSH format "
        "with: ssh-keygen -i -f <file> (add -m PKCS8 for a file that starts with BEGIN PUBLIC KEY)."
    ),
    "multiple": "Paste a single key: an OpenSSH public key is one line.",
    "invalid": (
        "The key is invalid or misformatted. An OpenSSH public key is one line: "
        "the type, the base64 body and an optional comment."
    ),
    "unsupported": "%(type)s keys are not supported. The key should start with one of: %(prefixes)s.",
    "duplicate": "You already added this key as %(title)s.",
    "title_taken": "You already have a key named “%(title)s”. Give this one another title.",
    "dsa": (
        "DSA (ssh-dss) keys are not accepted: they are deprecated and weak, OpenSSH disabled them "
        "in version 7.0 and EMR does not accept them. Make an Ed25519 key with: ssh-keygen -t ed25519 "
        "(or an RSA key of at least 3072 bits: ssh-keygen -t rsa -b 4096) and add its .pub file."
    ),
    "title_required": "Give the key a title, e.g. the name of the computer it lives on.",
}

TITLE_MAX_LENGTH = SSHKey._meta.get_field("title").max_length or 100


def key_comment(text: str) -> str:
    """The comment of an OpenSSH public key line (often ``user@host``), or ""."""
    parts = text.strip().split(maxsplit=2)
    return parts[2].strip() if len(parts) == 3 else ""


class SSHKeyForm(CreatedByModelFormMixin):
    """A public key, pasted into ``key`` or uploaded as ``key_file``.

    The textarea wins when both are given; the file only fills an empty
    textarea, so the page works the same with or without JavaScript (which
    copies a chosen file into the textarea).
    """

    prefix = "sshkey"

    key_file = forms.FileField(
        label="…or choose the key file",
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pub"}),
        help_text="The .pub file, e.g. ~/.ssh/id_ed25519.pub.",
    )

    class Meta:
        model = SSHKey
        fields = ["title", "key"]
        widgets = {
            "key": forms.Textarea(
                attrs={
                    "rows": 5,
                    "placeholder": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop",
                    "spellcheck": "false",
                    "autocomplete": "off",
                    "class": "font-monospace",
                }
            ),
        }
        labels = {"key": "Public key"}
        help_texts = {
            "title": "A name you will recognise, e.g. the computer the key lives on. "
            "Left empty, the key's comment is used.",
            "key": "Paste the content of your public key file. Accepted types: {}.".format(
                ", ".join(SSHKey.VALID_PREFIXES)
            ),
        }

    # ``key_file`` must be cleaned before ``key``: an uploaded file fills an empty
    # textarea. Django cleans fields in this order; the template renders each
    # field explicitly, so the order does not show on the page.
    field_order = ["title", "key_file", "key"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # May be empty: the key's comment (or the file name) fills it in clean().
        self.fields["title"].required = False
        self.fields["key"].error_messages["required"] = MESSAGES["required"]
        self.uploaded_name = ""

    @classmethod
    def for_oversized_request(cls, created_by: Any) -> SSHKeyForm:
        """The form to send back when the request was too large for Django to read.

        Nothing of what was sent can be shown again; the key field says why.
        """
        form = cls(created_by, data={})
        form.full_clean()
        form.errors.clear()
        form.add_error("key", forms.ValidationError(MESSAGES["too_large"], code="too_large"))
        return form

    def clean_key_file(self) -> UploadedFile | None:
        """The uploaded file, checked; its text fills an empty textarea."""
        upload: UploadedFile | None = self.cleaned_data.get("key_file")
        if not upload:
            return None
        # Decided on the size Django already knows: the content is never read
        # when the file is obviously not a key.
        if (upload.size or 0) > MAX_KEY_LENGTH:
            raise forms.ValidationError(MESSAGES["file_too_large"], code="file_too_large")
        try:
            text = upload.read(MAX_KEY_LENGTH + 1).decode("utf-8-sig").strip()
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(MESSAGES["not_text"], code="not_text") from exc
        finally:
            upload.seek(0)
        self.uploaded_name = PurePath(upload.name or "").name
        key_name = self.add_prefix("key")
        if text and not (self.data.get(key_name) or "").strip():
            # The file stands in for an empty textarea. It goes into the bound
            # data, so the key field validates it and a form sent back with an
            # error shows it in the textarea (no need to choose the file again).
            self.data = {**self.data, key_name: text}
        return upload

    def clean_key(self) -> str:
        text = (self.cleaned_data.get("key") or "").strip()
        validate_public_key(text)
        self._refuse_duplicate(text)
        return text

    def _refuse_duplicate(self, text: str) -> None:
        refuse_duplicate(self.created_by, text, exclude_pk=self.instance.pk)

    def clean(self) -> dict[str, Any]:
        """Fill an empty title from the key's comment, else from the uploaded file's name.

        The title must be new among the user's keys (whatever its case).
        """
        cleaned = super().clean()
        if not cleaned.get("title") and "key" not in self.errors:
            fallback = key_comment(cleaned.get("key") or "") or self._file_stem()
            if fallback:
                cleaned["title"] = fallback[:TITLE_MAX_LENGTH]
            elif "title" not in self.errors:
                self.add_error("title", forms.ValidationError(MESSAGES["title_required"], code="required"))
        # A repeated key says under which title it exists: enough to read.
        if cleaned.get("title") and "key" not in self.errors:
            try:
                refuse_taken_title(self.created_by, cleaned["title"], exclude_pk=self.instance.pk)
            except forms.ValidationError as error:
                self.add_error("title", error)
        return cleaned

    def conflict_errors(self) -> dict[str, list[str]]:
        """What to say when saving hit a unique constraint: a request saving the same
        key or title at the same moment passed the checks above too."""
        cleaned = self.cleaned_data
        if SSHKey.objects.filter(created_by=self.created_by, title__iexact=cleaned["title"]).exists():
            return {"title": [MESSAGES["title_taken"] % {"title": cleaned["title"]}]}
        return {"key": [MESSAGES["duplicate"] % {"title": cleaned["title"]}]}

    def _file_stem(self) -> str:
        return self.uploaded_name.removesuffix(".pub")


def refuse_duplicate(owner: Any, text: str, exclude_pk: int | None = None) -> None:
    """Raise a ValidationError naming the key of ``owner`` that ``text`` repeats, if any.

    ``text`` must be a valid key (see :func:`validate_public_key`); ``exclude_pk``
    is the key being edited, which may keep its own fingerprint.
    """
    same_key = SSHKey.objects.filter(created_by=owner, fingerprint=calculate_fingerprint(text))
    if exclude_pk is not None:
        same_key = same_key.exclude(pk=exclude_pk)
    existing = same_key.first()
    if existing is not None:
        raise forms.ValidationError(MESSAGES["duplicate"], code="duplicate", params={"title": existing.title})


def refuse_taken_title(owner: Any, title: str, exclude_pk: int | None = None) -> None:
    """Raise a ValidationError when ``owner`` already has a key titled ``title`` (any case)."""
    same_title = SSHKey.objects.filter(created_by=owner, title__iexact=title)
    if exclude_pk is not None:
        same_title = same_title.exclude(pk=exclude_pk)
    if same_title.exists():
        raise forms.ValidationError(MESSAGES["title_taken"], code="title_taken", params={"title": title})


def validate_public_key(text: str) -> None:
    """Raise a ValidationError saying what is wrong with ``text`` as a public key.

    The checks go from the cheapest and most specific to the most general, so
    the user reads the message that fits their mistake.
    """
    if len(text) > MAX_KEY_LENGTH:
        raise forms.ValidationError(MESSAGES["too_large"], code="too_large")
    if PRIVATE_KEY_MARKER.search(text):
        raise forms.ValidationError(MESSAGES["private"], code="private")
    if OTHER_FORMAT_MARKER.search(text):
        raise forms.ValidationError(MESSAGES["other_format"], code="other_format")
    if len(text.splitlines()) > 1:
        raise forms.ValidationError(MESSAGES["multiple"], code="multiple")
    if not text:
        raise forms.ValidationError(MESSAGES["required"], code="required")
    key_type = text.split()[0]
    try:
        with warnings.catch_warnings():
            # cryptography warns that DSA keys are deprecated; we refuse them below anyway.
            warnings.simplefilter("ignore")
            load_ssh_public_key(text.encode("utf-8"))
    except UnsupportedAlgorithm as exc:
        # Any first word is an "algorithm" to cryptography; only a well-formed key
        # of an unknown type deserves the "not supported" message.
        if _declared_type(text) != key_type:
            raise forms.ValidationError(MESSAGES["invalid"], code="invalid") from exc
        raise _unsupported(key_type) from exc
    except ValueError as exc:
        raise forms.ValidationError(MESSAGES["invalid"], code="invalid") from exc
    # cryptography also loads types we do not want (DSA, security-key and
    # certificate variants), so the prefix list decides. DSA gets its own
    # message: people still have such keys and need to know what to use instead.
    if key_type == "ssh-dss":
        raise forms.ValidationError(MESSAGES["dsa"], code="dsa")
    if key_type not in SSHKey.VALID_PREFIXES:
        raise _unsupported(key_type)


def _declared_type(text: str) -> str:
    """The type named inside the key's base64 body (its first length-prefixed string)."""
    try:
        blob = key_blob(text)
    except ValueError:
        return ""
    length = int.from_bytes(blob[:4], "big")
    return blob[4 : 4 + length].decode("ascii", errors="replace") if len(blob) >= 4 + length else ""


def _unsupported(key_type: str) -> forms.ValidationError:
    return forms.ValidationError(
        MESSAGES["unsupported"],
        code="unsupported",
        params={"type": key_type[:50], "prefixes": ", ".join(SSHKey.VALID_PREFIXES)},
    )
