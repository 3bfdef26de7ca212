"""The users app's management commands: ``ensure_admin``."""
