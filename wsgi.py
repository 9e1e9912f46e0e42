"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from inclusion import create_app

app = create_app()
