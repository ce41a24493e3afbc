"""ASGI entry point."""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# As in config/wsgi.py: what startup loaded lives as long as the worker, so the
# collector need not walk it on every collection.
gc.collect()
gc.freeze()
