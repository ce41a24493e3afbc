"""WSGI entry point of the peers' stack (granian serves it in the HTTP runs)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.settings")
application = get_wsgi_application()
