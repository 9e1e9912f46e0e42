"""Demo venues and a term of sessions, dated from today so there is always something current."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.sessions import services
from inclusion.sessions.models import HolidayRule, Session, SessionKind, SessionStatus, Topic
from inclusion.venues.models import Venue, VenueKind
from inclusion.venues.services import create_venue
from inclusion.wards.services import find_ward, update_ward_contact

#: Real kinds of places; the addresses and phone numbers are made up (03-0000 does not exist).
DEMO_WARDS = {
    "shibuya": {
        "contact": ("03-5555-1130", "平日 9時〜17時", "渋谷区役所 2階 デジタル推進課の窓口"),
        "venues": [
            (
                "渋谷区立中央図書館",
                VenueKind.LIBRARY,
                "渋谷区神宮前9-9-1",
                20,
                (True, True, False),
                "地下鉄の駅から歩いて5分。1階の入口から入ってください。",
            ),
            (
                "恵比寿区民会館",
                VenueKind.COMMUNITY_CENTRE,
                "渋谷区恵比寿9-9-2",
                40,
                (True, True, True),
                "恵比寿駅東口から歩いて7分。3階の会議室です。",
            ),
            (
                "笹塚高齢者センター",
                VenueKind.ELDERLY_FACILITY,
                "渋谷区笹塚9-9-3",
                15,
                (True, False, True),
                "バス停「笹塚二丁目」の前です。",
            ),
        ],
    },
    "shinagawa": {
        "contact": ("03-5555-1091", "平日 8時30分〜17時", "品川区役所 第二庁舎 1階 総合窓口"),
        "venues": [
            (
                "品川区立大崎図書館",
                VenueKind.LIBRARY,
                "品川区大崎9-9-1",
                20,
                (True, True, False),
                "大崎駅から歩いて6分。",
            ),
            (
                "五反田区民会館",
                VenueKind.COMMUNITY_CENTRE,
                "品川区西五反田9-9-2",
                30,
                (True, True, True),
                "五反田駅から歩いて4分。2階の集会室です。",
            ),
            (
                "大井高齢者いこいの家",
                VenueKind.ELDERLY_FACILITY,
                "品川区大井9-9-3",
                12,
                (True, False, False),
                "大井町駅から歩いて10分。",
            ),
        ],
    },
}


def _venues(ward, specs) -> list[Venue]:
    venues = []
    for name, kind, address, capacity, (step_free, lift, loop), notes in specs:
        venue = db.session.scalar(
            sa.select(Venue).where(Venue.ward_id == ward.id, Venue.name == name)
        )
        if venue is None:
            venue = create_venue(
                None,
                ward,
                {
                    "name": name,
                    "kind": kind,
                    "address": address,
                    "default_capacity": capacity,
                    "has_step_free_access": step_free,
                    "has_lift": lift,
                    "has_hearing_loop": loop,
                    "access_notes": notes,
                },
            )
        venues.append(venue)
    return venues


def _draft(venue, kind, title, day, start, end, **fields) -> services.SessionDraft:
    return services.SessionDraft(
        venue=venue, kind=kind, title=title, day=day, starts_time=start, ends_time=end, **fields
    )


def _term(venues) -> int:
    """A term of sessions from tomorrow, and a few held ones in the past weeks."""
    library, hall, elderly = venues
    tomorrow = clock.today() + timedelta(days=1)
    basics = [Topic.BASICS, Topic.PHONE_CAMERA]
    services.create_series(
        None,
        _draft(
            library,
            SessionKind.CLASS,
            "はじめてのスマホ教室",
            tomorrow,
            time(10),
            time(11, 30),
            topics=basics,
            capacity=12,
            has_device_loan=True,
            description="電源の入れ方から、電話、カメラまで。スマホは貸し出します。",
        ),
        interval_weeks=1,
        weeks=8,
        holiday_rule=HolidayRule.SKIP,
        skip_year_end=True,
        is_course=True,
    )
    services.create_series(
        None,
        _draft(
            hall,
            SessionKind.CONSULTATION,
            "スマホ個別相談会",
            tomorrow + timedelta(days=1),
            time(13),
            time(15),
            slot_minutes=30,
            topics=[Topic.LINE, Topic.MY_NUMBER_CARD],
            description="ご自分のスマホをお持ちください。1人30分です。",
        ),
        interval_weeks=2,
        weeks=12,
        holiday_rule=HolidayRule.SKIP,
        skip_year_end=True,
    )
    services.create_session(
        None,
        _draft(
            elderly,
            SessionKind.SALON,
            "スマホサロン",
            tomorrow + timedelta(days=2),
            time(14),
            time(16),
            topics=[Topic.BASICS, Topic.FRAUD_SECURITY],
            description="予約はいりません。お茶を飲みながら気軽にどうぞ。",
        ),
    )
    services.create_session(
        None,
        _draft(
            hall,
            SessionKind.CLASS,
            "マイナンバーカードとマイナポータル",
            tomorrow + timedelta(days=9),
            time(10),
            time(12),
            capacity=20,
            topics=[Topic.MY_NUMBER_CARD, Topic.MYNA_PORTAL, Topic.ONLINE_APPLICATION],
            description="マイナンバーカードと暗証番号をお持ちください。",
        ),
    )
    # History: held sessions of the past weeks (services refuse past dates, as they should).
    held = 0
    for weeks_ago, headcount in ((3, 9), (2, 11), (1, 8)):
        start = clock.to_utc(clock.today() - timedelta(weeks=weeks_ago), time(10))
        db.session.add(
            Session(
                ward_id=library.ward_id,
                venue=library,
                kind=SessionKind.CLASS,
                title="スマホ教室 LINEをはじめよう",
                starts_dt=start,
                ends_dt=start + timedelta(hours=1, minutes=30),
                capacity=12,
                lead_needed=1,
                assistants_needed=3,
                status=SessionStatus.HELD,
                headcount=headcount,
                topics=[Topic.LINE],
            )
        )
        held += 1
    return held


def add_demo_programme() -> list[str]:
    """Add demo venues and sessions to wards that have none; say what was added."""
    added = []
    for slug, spec in DEMO_WARDS.items():
        ward = find_ward(slug)
        if not ward.booking_phone:
            update_ward_contact(None, ward, *spec["contact"])
        venues = _venues(ward, spec["venues"])
        has_sessions = db.session.scalar(sa.select(sa.exists().where(Session.ward_id == ward.id)))
        if not has_sessions:
            _term(venues)
            count = db.session.scalar(
                sa.select(sa.func.count()).select_from(Session).where(Session.ward_id == ward.id)
            )
            added.append(f"{slug}: {len(venues)} venues, {count} sessions")
    db.session.flush()
    return added
