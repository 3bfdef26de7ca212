"""WSGI entry point for gunicorn (``atmo.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings")

application = get_wsgi_application()
