"""WSGI entry point for the dev identity server (e.g. `gunicorn idp.wsgi`)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp.settings")
application = get_wsgi_application()
