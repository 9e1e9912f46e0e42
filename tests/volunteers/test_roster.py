import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.csvfile import read_rows
from inclusion.extensions import db
from inclusion.volunteers import roster, services
from inclusion.volunteers.models import TrainingLevel
from tests import factories
from tests.conftest import log_in

HEADER = ",".join(roster.COLUMNS) + "\n"
GOOD = [
    "hanako@example.jp,山田 花子,やまだ はなこ,090-1111-2222,shibuya,yes,iphone line,日本語,"
    "TOKYOスマホサポーター,lead,2026-05-01,,C-1\n",
    "taro@example.jp,鈴木 太郎,すずき たろう,,shibuya shinagawa,,android,,,,,,\n",
]
BAD = [
    "not-an-email,名前,,,shibuya,,,,,,,,\n",
    "jiro@example.jp,次郎,,03-3463-1873,shibuya,,,,,,,,\n",
    "saburo@example.jp,三郎,,,atlantis,,,,,,,,\n",
    "shiro@example.jp,四郎,,,shibuya,,,,講座,boss,2026-05-01,,\n",
]


def volunteer_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.VOLUNTEER)
    )


def write(tmp_path, lines, encoding="utf-8-sig"):
    path = tmp_path / "roster.csv"
    path.write_bytes((HEADER + "".join(lines)).encode(encoding))
    return path


def test_cli_imports_a_good_roster(app, tmp_path):
    path = write(tmp_path, GOOD)
    result = app.test_cli_runner().invoke(args=["volunteers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 volunteer(s) added" in result.output
    hanako = db.session.scalar(sa.select(User).where(User.email == "hanako@example.jp"))
    profile = hanako.volunteer_profile
    assert profile.mobile_e164 == "+819011112222" and profile.wants_sms
    assert profile.skills == ["iphone", "line"] and [w.slug for w in profile.wards] == ["shibuya"]
    records = services.training_records(hanako)
    assert [(r.course, r.level) for r in records] == [
        ("TOKYOスマホサポーター", TrainingLevel.LEAD)
    ]
    taro = db.session.scalar(sa.select(User).where(User.email == "taro@example.jp"))
    assert {w.slug for w in taro.volunteer_profile.wards} == {"shibuya", "shinagawa"}
    again = app.test_cli_runner().invoke(args=["volunteers", "import", str(path)])
    assert "0 volunteer(s) added, 2 updated" in again.output
    assert len(services.training_records(hanako)) == 1


def test_cli_imports_nothing_when_a_row_is_bad(app, tmp_path):
    path = write(tmp_path, GOOD + BAD)
    before = volunteer_count()
    result = app.test_cli_runner().invoke(args=["volunteers", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4: email" in result.output
    assert f"{path}:5: mobile" in result.output
    assert f"{path}:6: " in result.output and "atlantis" in result.output
    assert f"{path}:7: level" in result.output
    assert "nothing imported" in result.output
    assert volunteer_count() == before


def test_cli_skip_bad_imports_the_rest_and_writes_the_bad_rows(app, tmp_path):
    path = write(tmp_path, GOOD + BAD)
    result = app.test_cli_runner().invoke(args=["volunteers", "import", str(path), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "2 volunteer(s) added" in result.output
    bad_file = tmp_path / "roster.csv.bad.csv"
    rows = list(csv.DictReader(io.StringIO(bad_file.read_text(encoding="utf-8-sig"))))
    assert [row["line"] for row in rows] == ["4", "5", "6", "7"]
    assert rows[0]["email"] == "not-an-email" and rows[0]["reason"]


def test_shift_jis_from_excel_is_read(app, tmp_path):
    path = write(tmp_path, GOOD, encoding="cp932")
    result = app.test_cli_runner().invoke(args=["volunteers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        db.session.scalar(sa.select(User.display_name).where(User.email == "hanako@example.jp"))
        == "山田 花子"
    )


def test_a_roster_without_the_header_is_refused(app, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("hanako@example.jp,山田 花子\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["volunteers", "import", str(path)])
    assert result.exit_code == 1 and "1行目には列の名前が必要です" in result.output


def test_staff_upload_adds_volunteers_to_their_ward_only(client, users):
    log_in(client, users["ward_staff"])
    data = HEADER + GOOD[0] + "jiro@example.jp,次郎,,,,,,,,,,,\n"
    response = client.post(
        "/manage/shibuya/volunteers/import",
        data={"roster": (io.BytesIO(data.encode("utf-8-sig")), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    jiro = db.session.scalar(sa.select(User).where(User.email == "jiro@example.jp"))
    assert [w.slug for w in jiro.volunteer_profile.wards] == ["shibuya"]
    foreign = HEADER + "goro@example.jp,五郎,,,shinagawa,,,,,,,,\n"
    response = client.post(
        "/manage/shibuya/volunteers/import",
        data={"roster": (io.BytesIO(foreign.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "2行目" in html and "渋谷区 の支援員だけ" in html
    assert db.session.scalar(sa.select(User).where(User.email == "goro@example.jp")) is None


def test_upload_reports_bad_rows_and_can_skip_them(client, users):
    log_in(client, users["ward_staff"])
    before = volunteer_count()
    data = (HEADER + GOOD[0] + BAD[0]).encode()
    response = client.post(
        "/manage/shibuya/volunteers/import",
        data={"roster": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "3行目" in response.get_data(as_text=True)
    assert volunteer_count() == before
    response = client.post(
        "/manage/shibuya/volunteers/import",
        data={"roster": (io.BytesIO(data), "roster.csv"), "skip_bad": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and volunteer_count() == before + 1
    garbage = client.post(
        "/manage/shibuya/volunteers/import",
        data={"roster": (io.BytesIO(b"\x89PNG\r\n\x1a\n\xff\xfe\x00"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert garbage.status_code == 422


def test_hours_csv_opens_in_excel(client, users, shibuya):
    volunteer = factories.make_volunteer(shibuya, email="v@example.jp")
    venue = factories.make_venue(shibuya, name="恵比寿区民会館")
    past = factories.make_session(
        venue,
        starts_dt=clock.now().replace(microsecond=0) - timedelta(days=2),
        hours=2,
        title="LINE入門",
    )
    shift = factories.make_shift(past, volunteer)
    services.record_attendance(users["ward_staff"], shift, attended=True)
    log_in(client, users["ward_staff"])
    response = client.get("/manage/shibuya/volunteers/hours.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日付", "開始", "終了"]
    assert rows[1][3:] == [
        "LINE入門",
        "恵比寿区民会館",
        volunteer.display_name,
        "アシスタント",
        "出席",
        "120",
        "2.00",
    ]
    assert b"\r\n" in body
    client.post("/logout")
    log_in(client, volunteer)
    mine = client.get("/me/shifts.csv").get_data().decode("utf-8-sig")
    assert "LINE入門" in mine


@pytest.mark.parametrize(
    "args", ["?from=junk", "?from=2026-01-01&to=2026-12-31", "?to=9999-01-01"]
)
def test_hours_csv_date_filters_never_fail(client, users, args):
    log_in(client, users["ward_staff"])
    assert client.get(f"/manage/shibuya/volunteers/hours.csv{args}").status_code == 200


def post_roster(client, content: bytes):
    return client.post(
        "/manage/shibuya/volunteers/import",
        data={"roster": (io.BytesIO(content), "roster.csv")},
        content_type="multipart/form-data",
    )


def test_a_roster_too_big_or_unreadable_is_refused_whole_in_words(app, client, users):
    """Row limit, an overlong cell, a cell CSV cannot read: a 422 that says which, nothing
    imported; a roster saved as Excel's "Unicode text" (UTF-16) is read."""
    log_in(client, users["ward_staff"])
    before = volunteer_count()
    app.config["IMPORT_MAX_ROWS"] = 3
    many = HEADER + "".join(f"v{n}@example.jp,支援員{n},,,shibuya,,,,,,,,\n" for n in range(4))
    cases = [
        (many.encode(), "3行まで"),
        ((HEADER + "a@example.jp," + "長" * 5000 + ",,,shibuya,,,,,,,,\n").encode(),
         "文字より長い"),
        # Past what Python's CSV reader takes in one cell (128 KB): its error, in words.
        ((HEADER + "a@example.jp," + "x" * 140_000 + ",,,shibuya,,,,,,,,\n").encode(),
         "CSVとして読めません"),
    ]  # fmt: skip
    for content, says in cases:
        response = post_roster(client, content)
        text = response.get_data(as_text=True)
        assert response.status_code == 422 and says in text, text[text.find("error") :][:300]
    assert volunteer_count() == before
    utf16 = post_roster(client, (HEADER + GOOD[1]).encode("utf-16"))
    assert utf16.status_code == 200 and volunteer_count() == before + 1


def test_a_long_roster_is_written_in_short_batches_with_no_slow_hash_per_row(
    app, client, users, monkeypatch
):
    """An import lets go of the write lock every ``BATCH_ROWS`` rows, so bookings and
    log-ins go on; new volunteers get no password (an administrator sets one), so a row
    costs a few statements, not a password hash."""
    monkeypatch.setattr(roster, "BATCH_ROWS", 10)
    lines = [f"v{n}@example.jp,支援員{n},,,shibuya,,,,,,,,\n" for n in range(25)]
    result = roster.check_roster(read_rows(HEADER + "".join(lines), roster.REQUIRED), None)
    # Told after each row: whether that row's batch has been committed and the lock let go.
    commits = []
    imported = roster.import_roster(
        None,
        result,
        progress=lambda row: (
            commits.append(row.line) if not db.session().in_transaction() else None
        ),
    )
    assert imported.created == 25
    assert commits == [11, 21]  # after rows 10 and 20 (lines 11, 21); the caller commits the rest
    made = db.session.scalar(sa.select(User).where(User.email == "v7@example.jp"))
    assert not made.has_password and not made.check_password("")
    refused = client.post("/login", data={"email": "v7@example.jp", "password": "!"})
    assert refused.status_code == 422  # the log-in page again, with its message
    log_in(client, users["admin"])
    page = client.get(f"/admin/users/{made.id}").get_data(as_text=True)
    assert "パスワードはまだありません" in page


def test_a_row_refused_while_the_import_runs_is_reported_and_the_rest_go_in(
    client, users, shibuya
):
    """Between batches others work: an address may be taken by a staff account by the time
    its row is written. That row is listed with its reason; the others are imported."""
    lines = [f"w{n}@example.jp,支援員{n},,,shibuya,,,,,,,,\n" for n in range(3)]
    result = roster.check_roster(read_rows(HEADER + "".join(lines), roster.REQUIRED), None)
    factories.make_user(role=Role.WARD_STAFF, ward=shibuya, email="w1@example.jp")  # meanwhile
    roster.import_roster(None, result)
    assert (result.created, [line for line, _, _ in result.bad]) == (2, [3])
    assert "支援員ではない" in result.bad[0][1]
    assert [row.email for row in result.good] == ["w0@example.jp", "w2@example.jp"]
    staff = db.session.scalar(sa.select(User).where(User.email == "w1@example.jp"))
    assert staff.role == Role.WARD_STAFF and staff.volunteer_profile is None
