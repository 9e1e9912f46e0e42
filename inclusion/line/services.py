"""Linking residents to LINE, and what a LINE user's messages and taps do.

Every answer says exactly what happened, in short polite Japanese; nothing a resident
sends reveals anyone else's details.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import insert_new, lock_row
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.line import messages
from inclusion.line.accounts import LineAccount, account_for, serves
from inclusion.line.models import LineFriend, LineLink, LineLinkCode, Unlinked
from inclusion.line.queries import active_link, links_of
from inclusion.reminders import replies
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Reminder, ReplyOutcome
from inclusion.residents.models import Contact, OptOutSource, ReminderChannel, Resident
from inclusion.residents.services import set_opt_out
from inclusion.residents.signals import contacts_changed
from inclusion.sessions.models import SessionStatus
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: Eight digits: guessing one of the few codes open is hopeless even for many LINE users.
CODE_DIGITS = 8
#: Wrong codes a LINE user may send in a day before codes from them are not even tried.
WRONG_CODES_PER_DAY = 5
#: Tries at a code no open one holds, before giving up (a million codes, few open).
CODE_DRAWS = 20


def issue_code(actor: User, resident: Resident) -> LineLinkCode:
    """A new code for the resident to send the ward's LINE account; older ones stop working."""
    account = account_for(resident.ward)
    if account is None:
        raise RuleViolation(_l("No LINE account is set up for this ward."))
    if resident.is_anonymised:
        raise RuleViolation(_l("This record was anonymised and cannot be changed."))
    now = clock.now()
    lock_row(Resident, resident.id)
    # Close this resident's codes, and any code past its time (so codes are free again).
    db.session.execute(
        sa.update(LineLinkCode)
        .where(
            LineLinkCode.closed_dt.is_(None),
            sa.or_(LineLinkCode.resident_id == resident.id, LineLinkCode.expires_dt <= now),
        )
        .values(closed_dt=now)
    )
    expires = now + timedelta(days=current_app.config["LINE_LINK_CODE_DAYS"])
    for _ in range(CODE_DRAWS):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = {"resident_id": resident.id, "ward_id": resident.ward_id, "code": code,
               "created_dt": now, "expires_dt": expires, "created_by_id": actor.id}  # fmt: skip
        # The open codes' unique index decides: a code someone holds is drawn again.
        if insert_new(LineLinkCode, [row]):
            made = db.session.scalars(
                sa.select(LineLinkCode).where(
                    LineLinkCode.code == code, LineLinkCode.closed_dt.is_(None)
                )
            ).one()
            break
    else:
        raise RuleViolation(_l("No code could be made just now. Please try again."))
    record_event(actor, "line.code", resident, resident.ward, {"expires": expires.isoformat()})
    return made


def unlink(actor: User | None, link: LineLink, why: Unlinked) -> bool:
    """End a link; the resident's waiting messages go by SMS or a call again at once."""
    lock_row(LineLink, link.id)
    db.session.refresh(link)
    if link.unlinked_dt is not None:
        return False
    link.unlinked_dt, link.unlinked_why = clock.now(), why
    link.unlinked_by_id = actor.id if actor else None
    db.session.flush()
    record_event(actor, "line.unlink", link.resident, link.ward, {"why": why.value})
    contacts_changed.send(link.resident, fields=["line"])
    return True


def friend(account: LineAccount, line_user_id: str) -> LineFriend:
    """The account's friend by LINE's id for them, added the first time they are heard
    from; locked until commit, so one user's messages are handled one at a time."""
    insert_new(LineFriend, [{"account": account.name, "line_user_id": line_user_id,
                             "created_dt": clock.now(), "wrong_codes": 0}],
               ["account", "line_user_id"])  # fmt: skip
    return db.session.scalars(
        sa.select(LineFriend)
        .where(LineFriend.account == account.name, LineFriend.line_user_id == line_user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _ward_of(account: LineAccount) -> Ward | None:
    """The ward an account serves alone (None for the shared one)."""
    return db.session.scalar(sa.select(Ward).where(Ward.slug == account.name))


def _ask_for_code(account: LineAccount) -> str:
    ward = _ward_of(account)
    where = f"{ward.name_ja}の窓口や教室" if ward else "区の窓口や教室"
    return f"{where}でお渡しした、{CODE_DIGITS}けたの番号を、このトークに送ってください。"


def followed(account: LineAccount, line_user_id: str) -> str:
    """Added as a friend (or unblocked): welcome them, and say how to link."""
    found = friend(account, line_user_id)
    found.followed_dt, found.blocked_dt = clock.now(), None
    ward = _ward_of(account)
    who = ward.name_ja if ward else "区"
    # Blocking ended any link: a friend again links with a new code.
    return (
        f"友だち追加ありがとうございます。{who}のスマホ教室のお知らせを、LINEでお送りできます。"
        + _ask_for_code(account)
    )


def blocked(account: LineAccount, line_user_id: str) -> int:
    """They blocked the account: every link through it ends; returns how many."""
    found = friend(account, line_user_id)
    found.blocked_dt = clock.now()
    return sum(unlink(None, link, Unlinked.BLOCKED) for link in links_of(found))


def _code_in(words: str) -> str | None:
    """The code in what they sent: its digits, full-width or not, spaces and dashes aside,
    alone or in a sentence (番号は1234 5678です)."""
    plain = re.sub(r"(?<=\d)[\s\-ー－]+(?=\d)", "", unicodedata.normalize("NFKC", words))
    runs = re.findall(r"\d+", plain)
    return (
        runs[0] if len(runs) == 1 and len(runs[0]) == CODE_DIGITS and runs[0].isascii() else None
    )


def _link_by_code(account: LineAccount, found: LineFriend, code: str) -> str:
    now = clock.now()
    if found.wrong_codes_since is None or found.wrong_codes_since <= now - timedelta(days=1):
        found.wrong_codes, found.wrong_codes_since = 0, now
    if found.wrong_codes >= WRONG_CODES_PER_DAY:
        return "番号をたくさん送られたため、今日はお受けできません。区へお電話ください。"
    row = db.session.scalars(
        sa.select(LineLinkCode)
        .where(
            LineLinkCode.code == code,
            LineLinkCode.closed_dt.is_(None),
            LineLinkCode.expires_dt > now,
        )
        .with_for_update()
    ).first()
    resident = db.session.get(Resident, row.resident_id) if row else None
    if row is None and _linked_by(found, code):
        # Sent again after it worked: it still works, and is no wrong guess.
        return "このLINEとは、すでにつながっています。"
    if resident is None or resident.is_anonymised or not serves(account, resident.ward):
        found.wrong_codes += 1
        return "番号が違うか、期限が切れています。もう一度お確かめください。"
    row.closed_dt = row.used_dt = now
    current = active_link(resident.id)
    if current is not None and current.friend_id == found.id:
        return f"{resident.family_name}様のLINEとは、すでにつながっています。"
    if current is not None:
        unlink(None, current, Unlinked.REPLACED)
    link = LineLink(friend_id=found.id, resident_id=resident.id, ward_id=resident.ward_id,
                    linked_dt=now)  # fmt: skip
    db.session.add(link)
    db.session.flush()
    record_event(None, "line.link", resident, resident.ward, {"account": account.name})
    contacts_changed.send(resident, fields=["line"])
    linked = f"{resident.family_name}様のLINEとつながりました。"
    if resident.is_opted_out or resident.reminder_channel == ReminderChannel.NONE:
        # Linking is no way round a stop, or a choice of no messages: the ward changes it.
        return (
            linked
            + "ただ、お知らせを受け取らない設定のため、今はお送りしません。"
            + replies.call_the_ward([resident.ward], replies.CONTACT_US)
        )
    return (
        linked
        + "これから教室のお知らせをLINEでお送りします。やめるときは「停止」と送ってください。"
    )


def _linked_by(found: LineFriend, code: str) -> bool:
    """Whether ``code`` is the one that linked this LINE user to a resident they are
    still linked to."""
    used = sa.select(LineLinkCode.resident_id).where(
        LineLinkCode.code == code, LineLinkCode.used_dt.is_not(None)
    )
    return db.session.scalar(
        sa.select(sa.exists().where(
            LineLink.friend_id == found.id,
            LineLink.unlinked_dt.is_(None),
            LineLink.resident_id.in_(used),
        ))
    )  # fmt: skip


#: Why a LINE user's link ended, told when they write again (blocking ends it too, but
#: they then see nothing until they add the account again).
ENDED_BY_WARD = (Unlinked.STAFF, Unlinked.ANONYMISED)


def _stop(links: list[LineLink]) -> str:
    contacts = [(link.resident, Contact.RESIDENT) for link in links]
    for link in links:
        set_opt_out(None, link.resident, True, OptOutSource.LINE)
    wards = list({link.ward_id: link.ward for link in links}.values())
    told = f"今後、{replies.named(contacts)}へのお知らせは送りません。また受け取るときは、"
    handled = replies.Handled(ReplyOutcome.STOPPED, told + replies.call_the_ward(wards))
    replies.log_reply(
        Medium.LINE, links[0].ref, "停止", handled, [link.resident for link in links]
    )
    return handled.told


def said(account: LineAccount, line_user_id: str, words: str) -> str:
    """A message typed in the chat: a code links them; 停止 stops their messages; a 1 or 2
    answers as by SMS. Anything else from a linked resident reaches staff's inbox."""
    found = friend(account, line_user_id)
    words = words[:300]
    if (code := _code_in(words)) is not None:
        return _link_by_code(account, found, code)
    links = links_of(found)
    if not links and _ended_by_ward(found):
        return "このLINEの連携は、区で解除しました。もう一度つなぐときは、区へご連絡ください。"
    if not links:
        return _ask_for_code(account) + "番号がないときは、区へお電話ください。"
    if replies.sms_answer(words) == replies.STOP:
        return _stop(links)
    contacts = [(link.resident, Contact.RESIDENT) for link in links]
    handled = replies.answer_words(Medium.LINE, [link.ref for link in links], words,
                                   lambda: contacts)  # fmt: skip
    return handled.told


def _ended_by_ward(found: LineFriend) -> bool:
    """Whether this LINE user's last link was ended by the ward, not by them."""
    last = db.session.scalar(
        sa.select(LineLink.unlinked_why)
        .where(LineLink.friend_id == found.id)
        .order_by(LineLink.linked_dt.desc(), LineLink.id.desc())
        .limit(1)
    )
    return last in ENDED_BY_WARD


def tapped(account: LineAccount, line_user_id: str, data: str) -> str:
    """A button tapped: it names its message; only the LINE user it went to may answer."""
    found = friend(account, line_user_id)
    parsed = messages.parse_postback(data)
    reminder = db.session.get(Reminder, parsed[0]) if parsed else None
    refs = {link.ref for link in links_of(found)}
    if reminder is None or reminder.channel != Medium.LINE or reminder.to_e164 not in refs:
        # Not theirs, or their link has ended since: say nothing of what it was about.
        return "このお知らせには、ここからお答えできません。区へお電話ください。"
    if reminder.booking_id is None:
        return ""
    session = reminder.session
    if session.status != SessionStatus.SCHEDULED or session.starts_dt <= clock.now():
        # Buttons stay in the chat: one tapped after its session, or after it was
        # cancelled, changes nothing.
        return "このお知らせの教室は、終わったか中止になりました。何も変えていません。"
    answer = replies.CONFIRM if parsed[1] == messages.CONFIRM else replies.CANCEL
    return replies.answer_button(reminder, answer, messages.LABELS[parsed[1]]).told
