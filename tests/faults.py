"""A worker that dies mid-task, for the tests of what survives it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from unittest import mock

from django.db.models import QuerySet
from django.utils import timezone

from atmo import mail as atmo_mail


class WorkerKilled(BaseException):
    """The worker process went away (SIGKILL, a lost machine): nothing after this point runs in it."""


@contextmanager
def killed_while_mailing() -> Iterator[mock.MagicMock]:
    """The worker dies while the mail server has the mail, before it answered."""
    with (
        mock.patch.object(atmo_mail, "send_templated_mail", side_effect=WorkerKilled) as send,
        suppress(WorkerKilled),
    ):
        yield send


def lease_passed(rows: QuerySet[Any], field: str) -> None:
    """Make the claims in ``field`` as old as the mail lease: their worker would have confirmed by now."""
    rows.exclude(**{field: None}).update(**{field: timezone.now() - atmo_mail.MAIL_LEASE})
