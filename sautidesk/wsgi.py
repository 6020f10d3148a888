"""WSGI entry point for gunicorn: `gunicorn sautidesk.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sautidesk.settings")

application = get_wsgi_application()
