"""Migrations: one head, the same schema as the models, and a working downgrade."""

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from inclusion.api import services
from inclusion.api.models import ApiKey, ApiScope
from inclusion.extensions import db
from inclusion.wards.models import Ward
from tests.conftest import make_test_app, scratch_database


def test_single_head(app):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


def test_upgrade_gives_the_schema_of_the_models(app):
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "render_as_batch": True}
    )
    assert compare_metadata(context, db.metadata) == []


def test_the_23_wards_are_seeded_with_valid_codes(app):
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.code)).all()
    assert len(wards) == 23
    assert wards[0].code == "131016" and wards[0].name_ja == "千代田区"
    assert {w.slug: w.code for w in wards}["shibuya"] == "131130"
    for ward in wards:
        digits = [int(d) for d in ward.code[:5]]
        remainder = sum(d * w for d, w in zip(digits, (6, 5, 4, 3, 2), strict=True)) % 11
        assert int(ward.code[5]) == (11 - remainder) % 10, ward.code
        assert ward.name_ja.endswith("区") and ward.name_en.endswith(" City")


def test_a_new_ward_row_gets_a_fresh_id(app):
    """The seed used explicit ids; the id sequence must have moved past them."""
    ward = Ward(code="999999", slug="test", name_ja="試験区", name_kana="しけんく", name_en="Test")
    db.session.add(ward)
    db.session.flush()
    assert ward.id == 24


def test_downgrade_to_base_and_upgrade_again(backend, tmp_path_factory):
    with scratch_database(backend, tmp_path_factory) as url:
        app = make_test_app(url)
        with app.app_context():
            flask_migrate.upgrade()
            assert "users" in sa.inspect(db.engine).get_table_names()
            flask_migrate.downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            flask_migrate.upgrade()
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Ward))
            assert count == 23
            db.session.remove()
            db.engine.dispose()


def test_text_typed_with_cr_lf_before_is_stored_plain(backend, tmp_path_factory):
    """A note saved from a browser before 0016 holds CR LF; afterwards, LF only."""
    with scratch_database(backend, tmp_path_factory) as url:
        app = make_test_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0015")
            db.session.execute(
                sa.text("UPDATE wards SET booking_counter = :typed WHERE slug = 'shibuya'"),
                {"typed": "区役所 2階\r\n窓口 5番\r"},
            )
            db.session.commit()
            flask_migrate.upgrade()
            counter = db.session.scalar(
                sa.text("SELECT booking_counter FROM wards WHERE slug = 'shibuya'")
            )
            assert counter == "区役所 2階\n窓口 5番\n"
            db.session.remove()
            db.engine.dispose()


def test_a_ward_s_own_template_becomes_plain_words_per_kind(backend, tmp_path_factory):
    """Before 0020 a ward's text was Jinja; afterwards plain words per kind, and a text
    the sandbox could not fill in is dropped (the standard wording is used)."""
    with scratch_database(backend, tmp_path_factory) as url:
        app = make_test_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0019")
            insert = sa.text(
                "INSERT INTO reminder_texts (ward_id, name, body, updated_dt) "
                "SELECT id, :name, :body, CURRENT_TIMESTAMP FROM wards WHERE slug = :slug"
            )
            own = "【{{ ward.name_ja }}】{% if kind == 'morning' %}本日{% endif %}{{ day }}{{ start }} {% if course %}{{ course }} {% endif %}{{ title }}{{ venue }}。お休みは{% if two_way %}「2」と返信か{% endif %}{{ ward_phone }}へ"  # noqa: E501
            db.session.execute(insert, {"name": "sms_resident.txt", "body": own,
                                        "slug": "shibuya"})  # fmt: skip
            db.session.execute(insert, {"name": "sms_resident.txt", "body": "{{ nonsense }}",
                                        "slug": "minato"})  # fmt: skip
            db.session.commit()
            flask_migrate.upgrade()
            rows = db.session.execute(
                sa.text("SELECT kind, body FROM reminder_texts ORDER BY kind")
            ).all()
            # What only a course or a two-way sender said is a place now, not lost.
            assert [tuple(row) for row in rows] == [
                ("morning", "【{区名}】本日{日時} {回} {名前} {会場}。お休みは{返信}{区の電話}へ"),
                (
                    "two_days_before",
                    "【{区名}】{日時} {回} {名前} {会場}。お休みは{返信}{区の電話}へ",
                ),
            ]
            db.session.remove()
            db.engine.dispose()


def test_keys_made_before_the_read_scopes_keep_what_they_could_do(backend, tmp_path_factory):
    """Before 0022 bookings:write also read bookings and reminders; afterwards those keys
    hold the read scopes that now say so. No key is given volunteers:read unasked."""
    with scratch_database(backend, tmp_path_factory) as url:
        app = make_test_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0021")
            # 0022 changes no table, so today's service can make the keys of before.
            for name, scopes in [("call centre", ["bookings:write", "sessions:read"]),
                                 ("figures", ["metrics:read"])]:  # fmt: skip
                key, _secret = services.create_key(None, name, [ApiScope.METRICS_READ], None)
                key.scopes = scopes
            db.session.commit()
            flask_migrate.upgrade()
            db.session.expire_all()
            keys = db.session.scalars(sa.select(ApiKey)).all()
            assert {key.name: key.scopes for key in keys} == {
                "call centre": ["bookings:read", "bookings:write", "reminders:read",
                                "sessions:read"],
                "figures": ["metrics:read"],
            }  # fmt: skip
            db.session.remove()
            db.engine.dispose()
