"""Django app configuration of ``atmo.notifications``."""

from django.apps import AppConfig


class NotificationsAppConfig(AppConfig):
    """Webhook endpoints of users and jobs, and their deliveries."""

    name = "atmo.notifications"
    label = "notifications"
    verbose_name = "Notifications"
