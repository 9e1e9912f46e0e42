from pathlib import Path

from inclusion import create_app


def test_config_defaults_then_test_config(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    assert app.testing
    assert not app.config["WTF_CSRF_ENABLED"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/inclusion.sqlite3")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ja"
    assert not create_app().testing


def test_test_config_is_parsed_like_the_environment():
    app = create_app({"DATABASE_URL": "postgresql://u@db.example/inclusion", "SECRET_KEY": "k"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/inclusion"
    assert app.config["SECRET_KEY"] == "k"


def test_wsgi_module_exposes_app(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wsgi.sqlite3'}")
    import importlib

    import wsgi

    importlib.reload(wsgi)
    assert wsgi.app.name == "inclusion"
