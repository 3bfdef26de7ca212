"""The local mail viewer: the mails a development site wrote to files, in development only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail

pytestmark = pytest.mark.django_db

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@pytest.fixture
def dev_mail(settings: Any, tmp_path: Path) -> Path:
    """Development settings: DEBUG, and mails written to files in a directory of the test."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def test_it_lists_the_mails_the_site_wrote(client_for: Any, user: Any, dev_mail: Path) -> None:
    send_mail("Cluster big-one is expiring soon", "It shuts down in an hour.", None, ["alice@example.com"])
    mail = EmailMultiAlternatives("A run failed", "Plain words.", None, ["bob@example.com"])
    mail.attach_alternative("<p>Rich <script>alert(1)</script>words.</p>", "text/html")
    mail.send()

    response = client_for(user).get("/dev/mail/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Cluster big-one is expiring soon" in body
    assert "It shuts down in an hour." in body
    assert "to bob@example.com" in body
    assert str(dev_mail) in body
    html_link = f"/dev/mail/{response.context['mails'][0].file_name}/0/"
    assert html_link in body
    html = client_for(user).get(html_link)
    assert html.status_code == 200
    assert "Rich" in html.content.decode()
    assert html["Content-Security-Policy"].startswith("sandbox")


def test_with_no_mail_yet_it_says_so(client_for: Any, user: Any, dev_mail: Path) -> None:
    response = client_for(user).get("/dev/mail/")

    assert response.status_code == 200
    assert "No mails yet." in response.content.decode()


def test_a_file_outside_the_mail_directory_cannot_be_read(client_for: Any, user: Any, dev_mail: Path) -> None:
    (dev_mail.parent / "secret.log").write_text("Subject: secret\n\nsecret")

    assert client_for(user).get("/dev/mail/..%2Fsecret.log/0/").status_code == 404


def test_production_settings_have_no_mail_viewer(client_for: Any, admin_user: Any, settings: Any) -> None:
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    assert client_for(admin_user).get("/dev/mail/").status_code == 404
    assert client_for(admin_user).get("/dev/mail/x.log/0/").status_code == 404


def test_without_debug_only_staff_see_mails_written_to_files(
    client_for: Any, user: Any, dev_mail: Path, settings: Any
) -> None:
    settings.DEBUG = False

    assert client_for(user).get("/dev/mail/").status_code == 404


def test_favicon_ico_points_at_the_svg_icon(client: Any) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/favicon.svg"
