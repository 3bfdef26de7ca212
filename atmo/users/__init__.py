"""Single sign-on (OpenID Connect) login and user accounts."""
