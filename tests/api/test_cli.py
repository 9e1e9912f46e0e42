"""A ward set up from a script: keys, the booking phone and venues by the command line,
then the API with the key alone."""

from __future__ import annotations

import sqlalchemy as sa

from inclusion.api.models import ApiKey
from inclusion.extensions import db
from inclusion.venues.models import Venue
from inclusion.wards.services import find_ward

VENUES_CSV = (
    "name,kind,address,capacity,step_free,lift,hearing_loop,notes\n"
    "中央図書館,library,東京都渋谷区神宮前1-1-1,16,はい,はい,,正面にスロープ\n"
    "区民会館,community_centre,東京都渋谷区宇田川町1-1,30,,,,\n"
)


def test_a_key_made_by_the_command_line_works_until_it_is_revoked(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["api-keys", "create", "--name", "区のサイト",
                               "--ward", "shibuya", "--scope", "bookings:read",
                               "--scope", "sessions:read"])  # fmt: skip
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("incl_") and "\n" not in secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/sessions", headers=headers).status_code == 200
    assert client.post("/api/v1/sessions", json={}, headers=headers).status_code == 403
    listed = runner.invoke(args=["api-keys", "list"])
    assert "区のサイト\tshibuya\tbookings:read,sessions:read\tused " in listed.output
    assert secret not in listed.output
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "区のサイト"))
    revoked = runner.invoke(args=["api-keys", "revoke", str(key.id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert client.get("/api/v1/sessions", headers=headers).status_code == 401
    assert runner.invoke(args=["api-keys", "revoke", str(key.id)]).exit_code == 1


def test_a_key_needs_one_reach_and_known_permissions(app):
    runner = app.test_cli_runner()
    for args in (["--scope", "bookings:read"],
                 ["--ward", "shibuya", "--all-wards", "--scope", "bookings:read"],
                 ["--ward", "atlantis", "--scope", "bookings:read"],
                 ["--all-wards", "--scope", "everything"],
                 ["--all-wards"]):  # fmt: skip
        result = runner.invoke(args=["api-keys", "create", "--name", "x", *args])
        assert result.exit_code == 2, (args, result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 0


def test_the_ward_phone_is_set_only_to_a_number_that_can_be_called(app):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["wards", "set-phone", "shibuya", "0334631211",
                               "--hours", "平日 9:00〜17:00"])  # fmt: skip
    assert good.exit_code == 0, good.output
    assert "shibuya: bookings by phone at 03-3463-1211 (平日 9:00〜17:00)" in good.output
    bad = runner.invoke(args=["wards", "set-phone", "shibuya", "0990-123-456"])
    assert bad.exit_code == 1
    unknown = runner.invoke(args=["wards", "set-phone", "atlantis", "0334631211"])
    assert unknown.exit_code == 2
    db.session.expire_all()
    ward = find_ward("shibuya")
    assert (ward.booking_phone, ward.booking_hours) == ("03-3463-1211", "平日 9:00〜17:00")


def test_venues_are_imported_and_imported_again_without_duplicates(app, tmp_path):
    runner = app.test_cli_runner()
    file = tmp_path / "venues.csv"
    file.write_bytes(VENUES_CSV.encode("cp932"))  # as Excel in Japan saves it
    first = runner.invoke(args=["venues", "import", "shibuya", str(file)])
    assert first.exit_code == 0, first.output
    assert "2 venue(s) added, 0 updated" in first.output
    file.write_text(VENUES_CSV.replace(",16,", ",20,"), encoding="utf-8")
    again = runner.invoke(args=["venues", "import", "shibuya", str(file)])
    assert "0 venue(s) added, 2 updated" in again.output
    library = db.session.scalar(sa.select(Venue).where(Venue.name == "中央図書館"))
    assert library.default_capacity == 20
    assert (library.has_lift, library.has_hearing_loop) == (True, False)


def test_a_bad_venue_row_changes_nothing_and_is_named_by_its_line(app, tmp_path):
    file = tmp_path / "venues.csv"
    file.write_text(VENUES_CSV + "公民館,castle,どこか,0,,,,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["venues", "import", "shibuya", str(file)])
    assert result.exit_code == 1
    assert f"{file}:4: " in result.output and "1 bad row(s); nothing imported" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Venue)) == 0
    file.write_text("name,address\n図書館,どこか\n", encoding="utf-8")
    missing = app.test_cli_runner().invoke(args=["venues", "import", "shibuya", str(file)])
    assert missing.exit_code == 1 and "capacity" in missing.output


def test_the_demo_key_is_made_afresh_and_the_last_one_revoked(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--api-key"])
    second = runner.invoke(args=["demo", "--api-key"])
    assert first.exit_code == second.exit_code == 0, first.output

    def status_with_key_of(result) -> int:
        headers = {"Authorization": "Bearer " + result.output.split("Bearer ")[1].split("'")[0]}
        return client.get("/api/v1/sessions?ward=shibuya", headers=headers).status_code

    assert (status_with_key_of(first), status_with_key_of(second)) == (401, 200)


def test_a_webhook_endpoint_is_added_and_listed_from_a_script(app):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["webhooks", "add", "https://callcentre.example.jp/in",
                                "--all-wards", "--event", "booking.created",
                                "--scope", "residents:read"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().startswith("whsec_")
    listed = runner.invoke(args=["webhooks", "list"]).output
    assert (
        "https://callcentre.example.jp/in\tall wards\tbooking.created\tresidents:read\t" in listed
    )
    refused = runner.invoke(args=["webhooks", "add", "http://callcentre.example.jp/in",
                                  "--ward", "shibuya", "--event", "booking.created"])  # fmt: skip
    assert refused.exit_code == 1 and "url" in refused.output
