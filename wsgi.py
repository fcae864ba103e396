"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from partnership import create_app

app = create_app()
