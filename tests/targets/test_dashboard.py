"""The dashboard: figures against targets with their pace, for the wards one may see."""

import csv
import io
import re
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import cache, db
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ReminderChannel,
    Resident,
)
from inclusion.sessions.models import SessionKind
from inclusion.targets import services
from inclusion.targets.models import Metric, Target
from tests import factories
from tests.conftest import log_in


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    main = html[html.find("<main") : html.find("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.fixture
def this_year(app):
    return clock.fiscal_year(clock.today())


@pytest.fixture
def consultations(shibuya, shinagawa, this_year):
    """Two consultations held in Shibuya this fiscal year, one in Shinagawa."""
    first_day = date(this_year, 4, 1)
    for ward, count in ((shibuya, 2), (shinagawa, 1)):
        venue = factories.make_venue(ward)
        for number in range(count):
            factories.make_session(
                venue,
                starts_dt=clock.to_utc(first_day + timedelta(days=number), time(10)),
                kind=SessionKind.CONSULTATION,
                slot_minutes=30,
            )
    db.session.add(Target(metric=Metric.CONSULTATIONS_HELD, first_year=this_year,
                          last_year=this_year, value=Decimal(1000)))  # fmt: skip
    share = Target(metric=Metric.CONSULTATIONS_HELD, ward_id=shibuya.id, first_year=this_year,
                   last_year=this_year, value=Decimal(2))  # fmt: skip
    db.session.add(share)
    db.session.commit()


def test_coordinators_see_all_wards_with_pace_and_ward_by_ward(client, users, consultations):
    log_in(client, users["coordinator"])
    page = client.get("/targets")
    text = text_of(page)
    assert page.status_code == 200
    assert "開催した個別相談会" in text and "3 / 目標 1,000" in text
    assert "年間で均等に進めた場合の今日時点の目安" in text and "目安より" in text
    assert "講座とサロンは数えません" in text  # each metric says what it counts
    assert "区ごと" in text and "渋谷区" in text and "品川区" in text
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in html and "<script" not in html.split("<main")[1]
    assert "kind=consultation" in html  # drill-down to the sessions behind the number


def test_ward_staff_see_their_ward_against_its_share(client, users, consultations):
    log_in(client, users["ward_staff"])
    text = text_of(client.get("/manage/shibuya/targets"))
    assert "2 / 目標 2" in text and "順調です" in text
    assert "品川区" not in text
    assert client.get("/manage/shinagawa/targets").status_code == 403
    assert client.get("/targets").status_code == 403


def test_a_year_is_chosen_and_nonsense_falls_back_to_this_one(client, users, consultations,
                                                               this_year):  # fmt: skip
    log_in(client, users["coordinator"])
    assert f"{this_year - 1}年度" in text_of(client.get(f"/targets?year={this_year - 1}"))
    for nonsense in ("abc", "99999", "２０２６", "-1"):
        response = client.get(f"/targets?year={nonsense}")
        assert response.status_code == 200 and f"{this_year}年度" in text_of(response)


def attended(session, ward, first_place: int, count: int) -> None:
    """``count`` residents who came to ``session``, written in bulk."""
    people = [
        {"ward_id": ward.id, "family_name": "大勢", "given_name": "花子",
         "family_kana": "オオゼイ", "given_kana": "ハナコ", "kana_key": "オオゼイハナコ",
         "birth_year": 1940 + number % 40, "reminder_channel": ReminderChannel.VOICE}
        for number in range(count)
    ]  # fmt: skip
    ids = db.session.scalars(
        sa.insert(Resident).returning(Resident.id, sort_by_parameter_order=True), people
    ).all()
    db.session.execute(
        sa.insert(Booking),
        [
            {"session_id": session.id, "resident_id": resident_id, "ward_id": ward.id,
             "status": BookingStatus.ATTENDED, "place": first_place + number,
             "source": BookingSource.PHONE}
            for number, resident_id in enumerate(ids)
        ],
    )  # fmt: skip
    db.session.commit()


def test_the_page_runs_the_same_queries_for_100_and_100000_bookings(
    client, users, shibuya, count_queries, this_year
):
    venue = factories.make_venue(shibuya, capacity=100_000)
    session = factories.make_session(
        venue, starts_dt=clock.to_utc(date(this_year, 4, 2), time(10)), capacity=100_000
    )
    log_in(client, users["coordinator"])

    def queries() -> tuple[int, str]:
        # Each view counts as the first after a refresh: what is kept for the refresh
        # time (the messages by channel) is counted in both.
        cache.clear()
        with count_queries() as statements:
            page = client.get("/targets")
        assert page.status_code == 200
        return len(statements), text_of(page)

    attended(session, shibuya, 1, 100)
    services.refresh_figures(services.snapshot_keys(this_year))  # as the scheduler does
    few, text = queries()
    assert "渋谷区 1 0 100 100 0 —" in text  # the ward table: held, consultations, visits, people
    attended(session, shibuya, 101, 99_900)
    services.refresh_figures(services.snapshot_keys(this_year))
    many, text = queries()
    assert "渋谷区 1 0 100,000 100,000 0 —" in text and many == few


def test_programme_targets_are_seeded_once(this_year):
    assert services.seed_programme_targets(this_year) == 7
    assert services.seed_programme_targets(this_year) == 0
    targets = services.targets_for(this_year + 2, None)
    assert set(targets) == {Metric.VOLUNTEERS_TRAINED, Metric.DX_LEADERS}
    assert targets[Metric.VOLUNTEERS_TRAINED].value == 2000
    assert targets[Metric.DX_LEADERS].value == 500


@pytest.mark.parametrize(
    ("metric", "years", "value", "message"),
    [
        (Metric.CONSULTATIONS_HELD, (2026, 2025), "10", "順に選んでください"),
        (Metric.CONSULTATIONS_HELD, (2026, 2031), "10", "5年度まで"),
        (Metric.CONSULTATIONS_HELD, (2026, 2026), "たくさん", "数字で入力"),
        (Metric.CONSULTATIONS_HELD, (2026, 2026), "-5", "数字で入力"),
        (Metric.CONSULTATIONS_HELD, (2026, 2026), "NaN", "数字で入力"),
        (Metric.ONLINE_PROCEDURE_SHARE, (2026, 2026), "120", "100まで"),
    ],
)
def test_a_bad_target_is_refused(users, metric, years, value, message):
    from inclusion.errors import RuleViolation

    with pytest.raises(RuleViolation) as refused:
        services.set_target(users["coordinator"], metric, None, *years, value)
    assert message in str(refused.value)


def test_setting_a_target_twice_changes_it(users, shibuya):
    first = services.set_target(users["coordinator"], Metric.CONSULTATIONS_HELD, shibuya,
                                2026, 2026, "1,200")  # fmt: skip
    again = services.set_target(users["coordinator"], Metric.CONSULTATIONS_HELD, shibuya,
                                2026, 2026, "50")  # fmt: skip
    assert first.id == again.id and again.value == 50


def test_the_csv_opens_with_japanese_headers_and_every_ward(client, users, consultations,
                                                             this_year):  # fmt: skip
    log_in(client, users["coordinator"])
    response = client.get(f"/targets.csv?year={this_year}")
    assert response.mimetype == "text/csv"
    assert (
        f'filename="targets-all-wards-{this_year}.csv"' in response.headers["Content-Disposition"]
    )
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel in Japanese reads UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["年度", "区", "月", "指標", "値", "単位", "目標"]
    totals = {(row[1], row[3]): row for row in rows if row[2] == "年度計"}
    assert totals[("全区", "開催した個別相談会")][4:] == ["3", "件・人", "1000.00"]
    assert totals[("渋谷区", "開催した個別相談会")][4] == "2"
    assert len({row[1] for row in rows[1:]}) == 24  # all wards, and each of the 23
    april = [row for row in rows if row[1] == "渋谷区" and row[3] == "開催した個別相談会"]
    assert [row[2] for row in april][:2] == [f"{this_year}-04", f"{this_year}-05"]


def test_ward_staff_export_and_print_their_ward_only(client, users, consultations):
    log_in(client, users["ward_staff"])
    rows = list(csv.reader(io.StringIO(
        client.get("/manage/shibuya/targets.csv").get_data().decode("utf-8-sig")
    )))  # fmt: skip
    assert {row[1] for row in rows[1:]} == {"渋谷区"}
    assert client.get("/manage/shinagawa/targets.csv").status_code == 403
    printed = text_of(client.get("/manage/shibuya/targets/print"))
    assert "デジタル活用支援事業 目標と実績" in printed and "順調です" in printed
