"""Entry point for gunicorn: ``gunicorn wsgi:app`` (without the commands: ``flask``
runs those)."""

from inclusion import create_app

app = create_app(commands=False)
