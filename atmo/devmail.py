"""The local mail viewer: the mails a development site sent, at /dev/mail/.

``make run`` has Django write mails to files (the file-based backend) instead of
sending them; these pages show them. They exist only where mails go to files
and the site runs with DEBUG (or for staff): everywhere else they are a 404.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
#: What the file-based backend writes after each message.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
#: The newest mails shown; older files stay on disk.
SHOWN = 100


@dataclass(frozen=True)
class LocalMail:
    """One mail as written by the file-based backend."""

    file_name: str
    index: int
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def recipients(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def date(self) -> str:
        return str(self.message.get("Date", ""))

    def body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    @property
    def text(self) -> str:
        return self.body("plain")

    @property
    def has_html(self) -> bool:
        return self.message.get_body(preferencelist=("html",)) is not None


def mail_directory() -> Path | None:
    """Where mails are written, or None when this site does not write them to files."""
    if settings.EMAIL_BACKEND != FILE_BACKEND:
        return None
    return Path(settings.EMAIL_FILE_PATH)


def read_mails(directory: Path) -> list[LocalMail]:
    """The mails in ``directory``, newest file first."""
    files = sorted(directory.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)
    mails: list[LocalMail] = []
    for path in files:
        chunks = [chunk for chunk in path.read_bytes().split(SEPARATOR) if chunk.strip()]
        for index, chunk in enumerate(chunks):
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            mails.append(LocalMail(path.name, index, message))
        if len(mails) >= SHOWN:
            break
    return mails[:SHOWN]


def allowed_directory(request: HttpRequest) -> Path:
    directory = mail_directory()
    if directory is None or not (settings.DEBUG or getattr(request.user, "is_staff", False)):
        raise Http404("No local mails here.")
    return directory


@require_safe
def mail_list(request: HttpRequest) -> HttpResponse:
    directory = allowed_directory(request)
    mails = read_mails(directory) if directory.is_dir() else []
    return render(request, "atmo/devmail.html", {"mails": mails, "directory": directory})


@require_safe
def mail_html(request: HttpRequest, file_name: str, index: int) -> HttpResponse:
    """A mail's HTML part, sandboxed: no script of it runs, no form of it posts."""
    directory = allowed_directory(request)
    path = directory / Path(file_name).name  # only a file of the directory
    if not path.is_file():
        raise Http404("No such mail file.")
    mails = [mail for mail in read_mails(directory) if mail.file_name == path.name and mail.index == index]
    if not mails or not mails[0].has_html:
        raise Http404("No such mail.")
    response = HttpResponse(mails[0].body("html"), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response
