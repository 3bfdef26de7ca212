"""Adding a key through the page: pasted or uploaded, errors keep what was sent."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from atmo.keys.forms import SSHKeyForm
from atmo.keys.models import SSHKey
from tests.keys.factories import private_key_text, public_key


def test_the_page_offers_paste_and_file_upload_with_help(client_for: Any, user: Any) -> None:
    body = client_for(user).get("/keys/new/").content.decode()

    assert 'enctype="multipart/form-data"' in body
    assert 'name="sshkey-title"' in body
    assert 'name="sshkey-key"' in body
    assert 'name="sshkey-key_file"' in body
    assert "~/.ssh/id_ed25519.pub" in body
    assert "ssh-keygen -t ed25519" in body
    assert "/static/js/keys.js" in body
    assert "<script>" not in body  # the CSP forbids inline script


def test_a_pasted_key_is_added_and_the_user_sent_to_the_list(client_for: Any, user: Any) -> None:
    line = public_key("ecdsa-sha2-nistp521")

    response = client_for(user).post(
        "/keys/new/", {"sshkey-title": "desk <pc>", "sshkey-key": line}, follow=True
    )

    assert response.redirect_chain == [("/keys/", 302)]
    ssh_key = SSHKey.objects.get()
    assert (ssh_key.created_by, ssh_key.title, ssh_key.key) == (user, "desk <pc>", line)
    assert "Key <strong>desk &lt;pc&gt;</strong> added." in response.content.decode()


def test_a_key_file_is_read_on_the_server(client_for: Any, user: Any) -> None:
    line = public_key("ssh-rsa", comment="alice@desktop")
    upload = SimpleUploadedFile("id_rsa.pub", f"{line}\n".encode())

    response = client_for(user).post(
        "/keys/new/", {"sshkey-title": "", "sshkey-key": "", "sshkey-key_file": upload}
    )

    assert response.status_code == 302
    ssh_key = SSHKey.objects.get()
    assert (ssh_key.title, ssh_key.key) == ("alice@desktop", line)


def test_an_invalid_form_comes_back_with_the_errors_and_the_posted_data(client_for: Any, user: Any) -> None:
    private = private_key_text()

    response = client_for(user).post("/keys/new/", {"sshkey-title": "my title", "sshkey-key": private})

    assert response.status_code == 200
    body = response.content.decode()
    assert "This is a private key." in body
    assert 'value="my title"' in body
    assert private.splitlines()[1] in body  # the textarea still holds what was pasted
    assert "is-invalid" in body
    assert 'aria-invalid="true"' in body
    assert not SSHKey.objects.exists()


def test_a_key_read_from_a_file_is_shown_when_the_form_comes_back(client_for: Any, user: Any) -> None:
    line = public_key(comment="")
    upload = SimpleUploadedFile("key.pub", line.encode())

    response = client_for(user).post(
        "/keys/new/", {"sshkey-title": "t" * 101, "sshkey-key": "", "sshkey-key_file": upload}
    )

    assert response.status_code == 200
    assert line in response.content.decode()


def test_a_duplicate_says_under_which_title_the_key_exists(client_for: Any, user: Any, ssh_key: Any) -> None:
    response = client_for(user).post("/keys/new/", {"sshkey-title": "again", "sshkey-key": ssh_key.key})

    assert "You already added this key as laptop." in response.content.decode()
    assert SSHKey.objects.count() == 1


def test_a_duplicate_that_slips_past_the_form_check_is_still_refused(
    client_for: Any, user: Any, ssh_key: Any
) -> None:
    # As with a double click: both requests pass the form's check before either saves.
    with patch.object(SSHKeyForm, "_refuse_duplicate", autospec=True):
        response = client_for(user).post("/keys/new/", {"sshkey-title": "twice", "sshkey-key": ssh_key.key})

    assert response.status_code == 200
    assert "You already added this key as twice." in response.content.decode()
    assert SSHKey.objects.count() == 1


def oversized_post(client: Any) -> Any:
    """A pasted "key" over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which Django refuses to read."""
    too_big = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    return client.post("/keys/new/", {"sshkey-title": "huge", "sshkey-key": "A" * too_big})


def test_a_key_too_large_for_django_to_read_gets_the_form_back_with_the_size_message(
    user: Any,
) -> None:
    # Checks the CSRF token like a browser, which has the CSRF cookie from the
    # form page: the CSRF middleware must not answer first with a bare 400.
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/keys/new/")

    response = oversized_post(client)

    assert response.status_code == 413
    body = response.content.decode()
    assert "The key is larger than 100 KB" in body
    assert 'name="sshkey-key"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert not SSHKey.objects.exists()


def test_the_new_key_page_still_requires_the_csrf_token(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    line = public_key()

    refused = client.post("/keys/new/", {"sshkey-title": "t", "sshkey-key": line})
    token = client.get("/keys/new/").context["csrf_token"]
    accepted = client.post(
        "/keys/new/", {"sshkey-title": "t", "sshkey-key": line, "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert SSHKey.objects.get().key == line


def test_an_oversized_post_from_a_visitor_is_sent_to_the_login_page(client: Any) -> None:
    response = oversized_post(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/users/login/")
