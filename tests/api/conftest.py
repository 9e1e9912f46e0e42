"""API tests share ``make_key`` from ``tests/conftest.py``."""
