from datetime import timedelta

from inclusion import clock
from inclusion.sessions.models import SessionKind, SessionStatus
from tests import factories


def test_ward_page_lists_upcoming_sessions_without_login(client, users, shibuya):
    venue = factories.make_venue(shibuya, name="中央図書館", has_lift=True)
    factories.make_session(venue, title="はじめてのスマホ", has_device_loan=True)
    factories.make_session(
        venue,
        title="スマホサロン",
        kind=SessionKind.SALON,
        starts_dt=clock.now() + timedelta(days=5),
    )
    factories.make_session(
        venue,
        title="中止の教室",
        status=SessionStatus.CANCELLED,
        starts_dt=clock.now() + timedelta(days=6),
    )
    factories.make_session(venue, title="先月の教室", starts_dt=clock.now() - timedelta(days=30))
    response = client.get("/w/shibuya")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "はじめてのスマホ" in html and "スマホサロン" in html
    assert "中止の教室" not in html and "先月の教室" not in html
    assert "スマホを借りられます" in html and "予約はいりません" in html
    # No personal data: staff names and e-mail addresses never appear.
    assert users["ward_staff"].email not in html and users["ward_staff"].display_name not in html


def test_ward_page_by_code_and_unknown_ward(client):
    assert client.get("/w/131130").status_code == 200
    assert client.get("/w/atlantis").status_code == 404


def test_printable_version(client, shibuya):
    venue = factories.make_venue(shibuya)
    factories.make_session(venue, title="印刷される教室")
    html = client.get("/w/shibuya/print").get_data(as_text=True)
    assert "印刷される教室" in html and 'class="public printable"' in html


def test_public_session_page(client, shibuya, shinagawa):
    venue = factories.make_venue(shibuya, name="恵比寿区民会館", access_notes="3階です")
    session = factories.make_session(venue, title="LINE入門")
    html = client.get(f"/w/shibuya/sessions/{session.id}").get_data(as_text=True)
    assert "LINE入門" in html and "恵比寿区民会館" in html and "3階です" in html
    assert "申し込みの方法" in html
    # A class's page speaks of booking it, not of salons; a salon's page says just come.
    assert "スマホサロンは申し込みはいりません" not in html
    salon = factories.make_session(venue, kind=SessionKind.SALON,
                                   starts_dt=clock.now() + timedelta(days=4))  # fmt: skip
    html = client.get(f"/w/shibuya/sessions/{salon.id}").get_data(as_text=True)
    assert "申し込みはいりません" in html and "申し込みの方法" not in html
    assert "当日、そのまま来てください" in html
    other = factories.make_session(factories.make_venue(shinagawa))
    assert client.get(f"/w/shibuya/sessions/{other.id}").status_code == 404
    cancelled = factories.make_session(
        venue,
        status=SessionStatus.CANCELLED,
        cancel_reason="台風のため",
        starts_dt=clock.now() + timedelta(days=9),
    )
    html = client.get(f"/w/shibuya/sessions/{cancelled.id}").get_data(as_text=True)
    assert "中止になりました" in html and "台風のため" in html


def test_public_page_query_count_does_not_grow(client, shibuya, constant_queries):
    venue = factories.make_venue(shibuya)

    def add(count: int) -> None:
        for number in range(count):
            factories.make_session(
                venue, starts_dt=clock.now() + timedelta(days=1, hours=number), flush=False
            )

    constant_queries(client, "/w/shibuya", add)
