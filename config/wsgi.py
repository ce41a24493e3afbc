"""WSGI entry point (scripts/serve.sh runs granian on config.wsgi:application)."""
import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, DRF, the settings, the URLconf) lives as long
# as the worker: move it out of the collector's generations, so the frequent
# collections that request garbage triggers no longer walk it, and a forked worker
# does not copy the pages the collector would otherwise write to. Collect first,
# so no startup garbage is kept for good.
gc.collect()
gc.freeze()
