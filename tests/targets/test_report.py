"""The fiscal year's report: a printable page and a spreadsheet with a sheet per ward, and
a command; every figure equal to the dashboard's, with where its rows are listed."""

import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inclusion import clock
from inclusion.calls.models import CallOutcome
from inclusion.extensions import db
from inclusion.sessions.models import SessionKind
from inclusion.targets import services
from inclusion.targets.models import Metric, Target
from inclusion.wards.services import list_wards
from tests import factories
from tests.conftest import log_in
from tests.targets.test_dashboard import text_of


@pytest.fixture
def year(app):
    return clock.fiscal_year(clock.today())


@pytest.fixture
def programme(shibuya, shinagawa, year):
    """Consultations held in both wards, a loan and calls, and targets for all wards and
    for Shibuya."""
    first_day = date(year, 4, 1)
    for ward, count in ((shibuya, 3), (shinagawa, 1)):
        venue = factories.make_venue(ward)
        for number in range(count):
            factories.make_session(venue, kind=SessionKind.CONSULTATION, slot_minutes=30,
                                   starts_dt=clock.to_utc(first_day + timedelta(days=number),
                                                          time(10)))  # fmt: skip
    factories.make_loan(shibuya)
    factories.make_call(shibuya, is_resolved=True, outcome=CallOutcome.ANSWERED)
    factories.make_call(shinagawa)
    db.session.add_all([
        Target(metric=Metric.CONSULTATIONS_HELD, first_year=year, last_year=year,
               value=Decimal(1000)),
        Target(metric=Metric.CONSULTATIONS_HELD, ward_id=shibuya.id, first_year=year,
               last_year=year, value=Decimal(40)),
        Target(metric=Metric.VOLUNTEERS_TRAINED, first_year=year, last_year=year + 2,
               value=Decimal(2000)),
    ])  # fmt: skip
    db.session.commit()


def sheet_values(sheet) -> dict[str, tuple]:
    """Figure → (value, target, where its rows are) of a report sheet."""
    rows = sheet.iter_rows(min_row=5, values_only=True)
    return {row[0]: (row[1], row[3], row[6]) for row in rows}


def test_the_spreadsheet_has_a_sheet_per_ward_and_the_dashboard_s_totals(
    client, users, programme, shibuya, year
):
    log_in(client, users["coordinator"])
    response = client.get(f"/targets/report.xlsx?year={year}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'report-all-wards-{year}.xlsx"')
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["全区", *(ward.name for ward in list_wards())]
    everyone, ward_sheet = sheet_values(book["全区"]), sheet_values(book["渋谷区"])
    for row in services.dashboard(year, None):
        value = everyone[str(row.metric.label)][0]
        assert value == pytest.approx(row.value) if row.value is not None else value is None
    for row in services.dashboard(year, shibuya):
        value = ward_sheet[str(row.metric.label)][0]
        assert value == pytest.approx(row.value) if row.value is not None else value is None
    consultations = "開催した個別相談会"
    assert everyone[consultations][:2] == (4, 1000)
    assert ward_sheet[consultations][:2] == (3, 40)
    assert sheet_values(book["品川区"])[consultations][:2] == (1, None)
    assert (
        ward_sheet[consultations][2].startswith("http")
        and "kind=consultation" in (ward_sheet[consultations][2])
    )
    assert everyone["貸出スマホを借りた区民"][0] == 1 and ward_sheet["通話数"][0] == 1
    assert everyone["通話数"][0] == 2 and everyone["1回の電話で解決"][0] == 1
    # Shares read to one decimal place; a target over years says which.
    formats = {row[0].value: row[1].number_format for row in book["全区"].iter_rows(min_row=5)}
    assert formats["区民の無断欠席率"] == "0.0" and formats[consultations] == "#,##0"
    years = {row[0]: row[4] for row in book["全区"].iter_rows(min_row=5, values_only=True)}
    assert years["養成した支援員"] == f"{year}–{year + 2}" and years[consultations] is None


def test_the_printable_page_and_a_ward_s_own(client, users, programme, year):
    log_in(client, users["coordinator"])
    page = text_of(client.get(f"/targets/report?year={year}"))
    assert "年度報告書" in page and "全区" in page and "品川区" in page
    client.post("/logout")
    log_in(client, users["ward_staff"])
    assert client.get("/targets/report").status_code == 403
    assert client.get("/targets/report.xlsx").status_code == 403
    own = text_of(client.get(f"/manage/shibuya/targets/report?year={year}"))
    assert "渋谷区" in own and "品川区" not in own
    book = load_workbook(io.BytesIO(client.get("/manage/shibuya/targets/report.xlsx").data))
    assert book.sheetnames == ["渋谷区"]
    assert client.get("/manage/shinagawa/targets/report.xlsx").status_code == 403


def test_the_command_writes_the_same_spreadsheet(app, programme, year, tmp_path):
    path = tmp_path / "report.xlsx"
    result = app.test_cli_runner().invoke(
        args=["targets", "report", "--year", str(year), "--xlsx", str(path)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert len(book.sheetnames) == 24
    assert sheet_values(book["全区"])["開催した個別相談会"][0] == 4
    one = tmp_path / "shibuya.xlsx"
    app.test_cli_runner().invoke(args=["targets", "report", "--ward", "shibuya", "--xlsx",
                                       str(one)])  # fmt: skip
    assert load_workbook(one).sheetnames == ["渋谷区"]
