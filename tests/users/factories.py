"""The user factory every test's users come from."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose username is their email address, as single sign-on makes them."""

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
