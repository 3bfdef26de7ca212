"""Emails as subject/text/html template triples; only the HTML part is HTML-escaped."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, QuerySet
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

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


#: A claim on a mail that was not confirmed as sent within this long lost its worker
#: (killed while sending): the next sweep sends the mail again. Longer than any send.
MAIL_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class MailClaim:
    """The mail one row owes, claimed for a while by the worker sending it.

    ``rows`` is the row (a one-row queryset); ``pending`` the filter that holds
    while the mail is owed, ``sent`` the update that records it went; ``lease`` the
    field with the time of the claim. A claim is taken with a filtered update, so
    of two workers only one sends; it is confirmed after the mail server accepted
    the mail. A worker killed in between leaves the claim unconfirmed, and once
    :data:`MAIL_LEASE` has passed another sweep takes it over and sends the mail:
    duplicates only when the worker dies between the server's acceptance and the
    confirmation.
    """

    rows: QuerySet[Any]
    pending: dict[str, Any]
    sent: dict[str, Any]
    lease: str

    def take(self) -> bool:
        """Claim the mail; False when it went already or another worker's claim is still fresh."""
        now = timezone.now()
        free = Q(**{f"{self.lease}__isnull": True}) | Q(**{f"{self.lease}__lt": now - MAIL_LEASE})
        return bool(self.rows.filter(free, **self.pending).update(**{self.lease: now}))

    def confirm(self) -> None:
        self.rows.update(**self.sent, **{self.lease: None})

    def release(self) -> None:
        self.rows.update(**{self.lease: None})


def send_claimed_mail(
    template_prefix: str, context: dict[str, Any], to: str, claim: MailClaim
) -> Exception | None:
    """Send a mail the caller has claimed (:meth:`MailClaim.take`), then confirm it; returns the error.

    When sending fails (the mail server, DNS, a template) the claim is given back
    and the next sweep tries again: a mail server that is down delays the mail, it
    does not lose it.
    """
    try:
        send_templated_mail(template_prefix, context, to=[to])
    except Exception as exc:
        claim.release()
        logger.exception("mail not sent, to be tried again", extra={"template": template_prefix})
        return exc
    claim.confirm()
    return None
