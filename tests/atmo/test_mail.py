"""Mails: the plain-text parts are not HTML-escaped, the HTML part is."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from atmo.mail import send_templated_mail
from tests.clusters.factories import ClusterFactory

pytestmark = pytest.mark.django_db

REASON = "Terminated by the operator O'Brien <ops> & co."


def test_subject_and_text_keep_quotes_and_brackets_as_typed_the_html_escapes_them(user: Any) -> None:
    cluster = ClusterFactory(created_by=user, identifier="o-brien's", termination_reason=REASON)

    send_templated_mail("clusters/emails/terminated", {"cluster": cluster}, to=[user.email])

    [message] = mail.outbox
    assert "o-brien's" in message.subject
    assert REASON in message.body
    assert "&#x27;" not in message.body and "&lt;" not in message.body and "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "Terminated by the operator O&#x27;Brien &lt;ops&gt; &amp; co." in html
