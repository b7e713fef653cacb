"""WSGI entry point for gunicorn: `gunicorn mutualisation.wsgi:app`."""

from .app import configure_logging, create_app

configure_logging()
app = create_app()
