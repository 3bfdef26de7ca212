"""Emails as subject/text/html template triples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_mail(
    template_prefix: str,
    context: dict[str, Any],
    to: Sequence[str],
    cc: Sequence[str] = (),
) -> None:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` and send them."""
    context = {"settings": settings, **context}
    subject = render_to_string(f"{template_prefix}_subject.txt", context).strip()
    text = render_to_string(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    message = EmailMultiAlternatives(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{' '.join(subject.split())}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
    )
    message.attach_alternative(html, "text/html")
    message.send()
