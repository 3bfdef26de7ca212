"""Emails as subject/text/html template triples; only the HTML part is HTML-escaped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

from atmo.monitoring.mail import counted

logger = logging.getLogger(__name__)


def send_templated_mail(
    template_prefix: str,
    context: dict[str, Any],
    to: Sequence[str],
    cc: Sequence[str] = (),
) -> None:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` and send them."""
    context = {"settings": settings, **context}
    subject = render_plain_text(f"{template_prefix}_subject.txt", context).strip()
    text = render_plain_text(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    message = EmailMultiAlternatives(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{' '.join(subject.split())}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
    )
    message.attach_alternative(html, "text/html")
    with counted(template_prefix):
        message.send()


def render_plain_text(template_name: str, context: dict[str, Any]) -> str:
    """A subject or plain-text body: rendered without HTML escaping, which only belongs in HTML."""
    template = get_template(template_name).template  # type: ignore[attr-defined]
    return template.render(Context(context, autoescape=False))


def send_claimed_mail(
    template_prefix: str, context: dict[str, Any], to: str, release: Callable[[], Any]
) -> Exception | None:
    """Send a mail the caller has claimed (marked as sent); returns the error when it failed.

    The periodic mails are claimed before sending, so that of two workers only one
    mails. When sending fails (the mail server, DNS, a template) ``release`` gives
    the claim back and the next sweep tries again: a mail server that is down
    delays the mail, it does not lose it.
    """
    try:
        send_templated_mail(template_prefix, context, to=[to])
    except Exception as exc:
        release()
        logger.exception("mail not sent, to be tried again", extra={"template": template_prefix})
        return exc
    return None
