"""WSGI entry point: `gunicorn reference.config.wsgi:application`, the REST calls of the scaled
profile behind nginx (the sockets are the ASGI application's, `reference.config.asgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.config.settings")
django_wsgi_app = get_wsgi_application()

from reference.uploads.limits import BodyLimitWsgiMiddleware  # noqa: E402

# Refuses a body over the limit from its Content-Length before Django reads it, as the ASGI
# application's middleware does.
application = BodyLimitWsgiMiddleware(django_wsgi_app)
