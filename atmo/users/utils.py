"""Helpers for turning identity-provider claims into local accounts."""

from __future__ import annotations

from django.conf import settings


def email_domain(email: str) -> str:
    """The lower-cased domain part of an address ("" when there is none)."""
    _, at, domain = email.strip().rpartition("@")
    return domain.lower() if at else ""


def generate_username_from_email(email: str) -> str:
    """The username for a first login.

    Addresses in ``ATMO_SHORT_USERNAME_DOMAIN`` get their local part ("jane" for
    jane@example.com); every other address is used whole, so two people with the
    same local part in different domains never share an account.
    """
    email = email.strip()
    short_domain = settings.ATMO_SHORT_USERNAME_DOMAIN
    if short_domain and email_domain(email) == short_domain:
        return email.rpartition("@")[0]
    return email


def is_allowed_email(email: str) -> bool:
    """Whether the allow-list (``ATMO_ALLOWED_EMAIL_DOMAINS``) admits this address."""
    allowed = settings.ATMO_ALLOWED_EMAIL_DOMAINS
    return not allowed or email_domain(email) in allowed
