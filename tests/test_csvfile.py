"""Every CSV export goes through one writer, and no cell in it runs as a formula."""

import csv
import io
from datetime import timedelta

import pytest

from inclusion import clock
from inclusion.csvfile import csv_text, neutral
from inclusion.volunteers import services as volunteer_services
from tests import factories
from tests.conftest import log_in

HOSTILE = ["=HYPERLINK(\"http://x\")", "+81 cmd", "-2+3", "@SUM(A1)", "\tTAB", "\rCR",
           " =1+1", "\u3000=1+1"]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_would_start_a_formula_is_written_as_text(value):
    assert neutral(value) == "'" + value


@pytest.mark.parametrize("value", ["山田", "090-1234-5678", "2026-12-05", "a=b", "", "—"])
def test_ordinary_text_and_numbers_are_written_as_they_are(value):
    assert neutral(value) == value
    assert neutral(-3) == -3 and neutral(2.5) == 2.5


def test_the_writer_is_excel_ready():
    text = csv_text([["名前", "メモ"], ["山田", "=1+1"]])
    assert text.startswith("\ufeff名前,メモ\r\n") and text.endswith("山田,'=1+1\r\n")


def cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def test_every_export_neutralises_what_people_typed(client, users, shibuya):
    """Names, titles and display names typed by staff or imported: the residents' export,
    volunteer hours and the dashboard's figures all come out inert."""
    factories.make_resident(shibuya, family_name='=HYPERLINK("http://x")', given_name="@A1")
    volunteer = factories.make_volunteer(shibuya, email="v@example.jp")
    volunteer.display_name = "+cmd"
    venue = factories.make_venue(shibuya, name="-2+3 会館")
    past = factories.make_session(venue, starts_dt=clock.now() - timedelta(days=2), hours=2,
                                  title="\t=1+1")  # fmt: skip
    shift = factories.make_shift(past, volunteer)
    volunteer_services.record_attendance(users["ward_staff"], shift, attended=True)
    log_in(client, users["ward_staff"])
    exported = [
        client.post("/manage/shibuya/residents/export", data={"reason": "確認"}).get_data(),
        client.get("/manage/shibuya/volunteers/hours.csv").get_data(),
        client.get("/manage/shibuya/targets.csv").get_data(),
    ]
    for body in exported:
        assert body.startswith(b"\xef\xbb\xbf")
        for cell in cells(body):
            assert not cell.lstrip(" \u3000").startswith(("=", "+", "-", "@", "\t", "\r")), cell
    people = cells(exported[0]) + cells(exported[1])
    assert '\'=HYPERLINK("http://x")' in people and "'@A1" in people
    assert "'+cmd" in people and "'-2+3 会館" in people and "'\t=1+1" in people
