"""The local stack behind ``make run``: embedded Redis, AWS emulator, OIDC provider."""
