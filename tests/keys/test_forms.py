"""SSHKeyForm: what it accepts, what it refuses and what it says."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from atmo.keys.forms import SSHKeyForm
from atmo.keys.models import SSHKey
from tests.keys.factories import (
    GENERATORS,
    SSHKeyFactory,
    dsa_public_key,
    private_key_text,
    public_key,
    security_key_line,
    unknown_type_line,
)

PREFIXES = "ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521"


def key_form(user: Any, files: dict[str, Any] | None = None, **fields: str) -> SSHKeyForm:
    data = {f"sshkey-{name}": value for name, value in fields.items()}
    return SSHKeyForm(user, data, {f"sshkey-{name}": f for name, f in (files or {}).items()})


def key_errors(form: SSHKeyForm) -> list[str]:
    assert not form.is_valid()
    return form.errors.get("key", [])


@pytest.mark.parametrize("key_type", GENERATORS)
def test_it_accepts_and_saves_every_supported_key_type(user: Any, key_type: str) -> None:
    line = public_key(key_type)
    form = key_form(user, title="laptop", key=line)

    assert form.is_valid(), form.errors
    ssh_key = form.save()
    assert ssh_key.created_by == user
    assert ssh_key.key == line
    assert ssh_key.prefix == key_type


def test_it_strips_the_pasted_key(user: Any) -> None:
    line = public_key()
    form = key_form(user, title="laptop", key=f"\n  {line}  \r\n\n")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["key"] == line


def test_it_grants_the_owner_the_object_permissions(user: Any, user2: Any) -> None:
    form = key_form(user, title="laptop", key=public_key())
    assert form.is_valid()
    ssh_key = form.save()

    assert user.has_perm("keys.view_sshkey", ssh_key)
    assert user.has_perm("keys.delete_sshkey", ssh_key)
    assert not user2.has_perm("keys.view_sshkey", ssh_key)


def test_it_refuses_a_private_key_and_says_to_use_the_public_one(user: Any) -> None:
    errors = key_errors(key_form(user, title="oops", key=private_key_text("openssh")))

    assert errors == [
        "This is a private key. Paste the public one (the .pub file); keep the private key secret."
    ]


def test_it_refuses_a_pem_private_key_too(user: Any) -> None:
    errors = key_errors(key_form(user, title="oops", key=private_key_text("pkcs8")))

    assert errors[0].startswith("This is a private key.")


def test_it_refuses_garbage(user: Any) -> None:
    errors = key_errors(key_form(user, title="x", key="this is not a key at all"))

    assert errors == [
        "The key is invalid or misformatted. An OpenSSH public key is one line: "
        "the type, the base64 body and an optional comment."
    ]


def test_it_refuses_a_key_whose_body_is_cut_short(user: Any) -> None:
    line = public_key("ssh-rsa")
    key_type, body, comment = line.split()

    errors = key_errors(key_form(user, title="x", key=f"{key_type} {body[:-40]} {comment}"))

    assert errors[0].startswith("The key is invalid or misformatted.")


def test_it_refuses_two_keys_at_once(user: Any) -> None:
    errors = key_errors(key_form(user, title="x", key=f"{public_key()}\n{public_key()}"))

    assert errors == ["Paste a single key: an OpenSSH public key is one line."]


def test_it_explains_how_to_convert_an_rfc_4716_key(user: Any) -> None:
    text = "\n".join(
        [
            "---- BEGIN SSH2 PUBLIC KEY ----",
            'Comment: "x"',
            "AAAAC3NzaC1lZDI1NTE5",
            "---- END SSH2 PUBLIC KEY ----",
        ]
    )

    errors = key_errors(key_form(user, title="x", key=text))

    assert "ssh-keygen -i -f" in errors[0]


def test_it_refuses_text_over_100000_characters(user: Any) -> None:
    text = public_key() + " " + "x" * 100_000

    errors = key_errors(key_form(user, title="x", key=text))

    assert errors == ["The key is larger than 100 KB; a public key is a single line well under 1 KB."]


@pytest.mark.parametrize(
    "make_line, key_type",
    [
        (security_key_line, "sk-ssh-ed25519@openssh.com"),
        (unknown_type_line, "ssh-unheard-of"),
    ],
)
def test_it_refuses_an_unsupported_type_and_names_the_accepted_ones(
    user: Any, make_line: Any, key_type: str
) -> None:
    errors = key_errors(key_form(user, title="x", key=make_line()))

    assert errors == [f"{key_type} keys are not supported. The key should start with one of: {PREFIXES}."]


def test_it_refuses_a_dsa_key_saying_why_and_what_to_use_instead(user: Any) -> None:
    errors = key_errors(key_form(user, title="old box", key=dsa_public_key()))

    assert len(errors) == 1
    message = errors[0]
    assert "DSA (ssh-dss) keys are not accepted" in message
    assert "OpenSSH disabled them in version 7.0" in message
    assert "EMR does not accept them" in message
    assert "ssh-keygen -t ed25519" in message
    assert "at least 3072 bits" in message
    assert not SSHKey.objects.exists()


def test_it_refuses_a_title_the_user_already_has_in_any_case(user: Any) -> None:
    SSHKeyFactory(created_by=user, title="Work laptop")

    form = key_form(user, title="work LAPTOP", key=public_key())

    assert not form.is_valid()
    assert form.errors["title"] == [
        "You already have a key named “work LAPTOP”. Give this one another title."
    ]


def test_a_title_taken_from_the_key_comment_is_checked_too(user: Any) -> None:
    SSHKeyFactory(created_by=user, title="alice@laptop")

    form = key_form(user, title="", key=public_key(comment="alice@laptop"))

    assert not form.is_valid()
    assert "You already have a key named “alice@laptop”" in form.errors["title"][0]


def test_another_user_may_use_the_same_title(user: Any, user2: Any) -> None:
    SSHKeyFactory(created_by=user2, title="laptop")

    form = key_form(user, title="laptop", key=public_key())

    assert form.is_valid(), form.errors


def test_the_database_refuses_a_second_title_of_the_same_user(user: Any) -> None:
    SSHKeyFactory(created_by=user, title="laptop")

    with pytest.raises(IntegrityError), transaction.atomic():
        SSHKeyFactory(created_by=user, title="LAPTOP")


def test_it_refuses_a_key_the_user_already_added(user: Any) -> None:
    line = public_key("ecdsa-sha2-nistp256")
    SSHKeyFactory(created_by=user, key=line, title="work laptop")

    errors = key_errors(key_form(user, title="again", key=line.rsplit(" ", 1)[0] + " other-comment"))

    assert errors == ["You already added this key as work laptop."]


def test_another_user_may_add_the_same_key(user: Any, user2: Any) -> None:
    line = public_key()
    SSHKeyFactory(created_by=user, key=line)

    form = key_form(user2, title="shared", key=line)

    assert form.is_valid(), form.errors
    form.save()
    assert SSHKey.objects.filter(key=line).count() == 2


def test_it_asks_for_a_key_when_none_is_given(user: Any) -> None:
    errors = key_errors(key_form(user, title="x", key="  "))

    assert errors == ["Paste your public key or choose its .pub file."]


def test_a_blank_title_defaults_to_the_key_comment(user: Any) -> None:
    form = key_form(user, title="", key=public_key(comment="alice@work-laptop"))

    assert form.is_valid(), form.errors
    assert form.save().title == "alice@work-laptop"


def test_a_blank_title_without_a_comment_is_refused(user: Any) -> None:
    form = key_form(user, title=" ", key=public_key(comment=""))

    assert not form.is_valid()
    assert form.errors["title"] == ["Give the key a title, e.g. the name of the computer it lives on."]


def test_a_title_over_100_characters_is_refused(user: Any) -> None:
    form = key_form(user, title="t" * 101, key=public_key())

    assert not form.is_valid()
    assert "title" in form.errors


def test_an_uploaded_file_fills_the_empty_key(user: Any) -> None:
    line = public_key("ssh-rsa", comment="alice@desktop")
    upload = SimpleUploadedFile("id_rsa.pub", (line + "\n").encode(), "application/octet-stream")

    form = key_form(user, files={"key_file": upload}, title="", key="")

    assert form.is_valid(), form.errors
    ssh_key = form.save()
    assert ssh_key.key == line
    assert ssh_key.title == "alice@desktop"


def test_a_file_without_a_comment_gives_its_name_as_title(user: Any) -> None:
    upload = SimpleUploadedFile("id_ed25519.pub", public_key(comment="").encode())

    form = key_form(user, files={"key_file": upload}, title="", key="")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["title"] == "id_ed25519"


def test_the_pasted_key_wins_over_an_uploaded_file(user: Any) -> None:
    pasted = public_key()
    upload = SimpleUploadedFile("other.pub", public_key().encode())

    form = key_form(user, files={"key_file": upload}, title="x", key=pasted)

    assert form.is_valid(), form.errors
    assert form.save().key == pasted


def test_an_uploaded_file_goes_through_the_same_checks(user: Any) -> None:
    upload = SimpleUploadedFile("id_ed25519", private_key_text().encode())

    errors = key_errors(key_form(user, files={"key_file": upload}, title="x", key=""))

    assert errors[0].startswith("This is a private key.")


class UnreadableUpload(SimpleUploadedFile):
    """Fails the test if anything reads its content."""

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the content of an oversized file was read")


def test_a_file_over_100_kb_is_refused_without_reading_it(user: Any) -> None:
    upload = UnreadableUpload("huge.pub", b"x" * 100_001)

    form = key_form(user, files={"key_file": upload}, title="x", key="")

    assert not form.is_valid()
    assert form.errors["key_file"] == [
        "The file is larger than 100 KB, so it cannot be a public key. "
        "Choose the .pub file, e.g. ~/.ssh/id_ed25519.pub."
    ]


def test_a_binary_file_is_refused(user: Any) -> None:
    upload = SimpleUploadedFile("id.pub", b"\xff\xfe\x00garbage")

    form = key_form(user, files={"key_file": upload}, title="x", key="")

    assert not form.is_valid()
    assert form.errors["key_file"][0].startswith("The file is not a text file.")


def test_the_form_uses_the_sshkey_prefix_and_accepts_only_pub_files(user: Any) -> None:
    html = str(SSHKeyForm(user)["key_file"])

    assert 'name="sshkey-key_file"' in html
    assert 'accept=".pub"' in html


def test_it_refuses_a_key_whose_type_does_not_match_its_body(user: Any) -> None:
    _, body, _ = public_key("ssh-ed25519").split()

    errors = key_errors(key_form(user, title="x", key=f"ssh-rsa {body}"))

    assert errors[0].startswith("The key is invalid or misformatted.")
