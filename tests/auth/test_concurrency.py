"""Two admins add the same address at the same moment: the database lets one win."""

import threading

from inclusion.auth import services
from inclusion.auth.models import Role
from inclusion.extensions import db
from tests.conftest import make_test_app, migrate_database, scratch_database


def test_same_email_created_twice_at_once(backend, tmp_path_factory):
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def create(name: str) -> None:
            with app.app_context():
                barrier.wait(timeout=30)
                try:
                    services.create_user(
                        None,
                        email="same@example.jp",
                        password="long enough pw",
                        display_name=name,
                        role=Role.VOLUNTEER,
                    )
                    db.session.commit()
                    outcomes.append("created")
                except services.AccountError:
                    db.session.rollback()
                    outcomes.append("refused")

        threads = [threading.Thread(target=create, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with app.app_context():
            assert sorted(outcomes) == ["created", "refused"]
            assert services.find_user_by_email("same@example.jp") is not None
            db.session.remove()
            db.engine.dispose()
