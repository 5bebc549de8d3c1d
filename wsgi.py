"""The WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi``."""

from complaints_app import create_app

app = create_app()
