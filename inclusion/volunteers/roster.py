"""Volunteer rosters in and hours out, as CSV files Excel in Japan opens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.auth import services as auth_services
from inclusion.auth.models import Role, User
from inclusion.csvfile import csv_text, says_yes
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.volunteers import services
from inclusion.volunteers.models import Shift, Skill, TrainingLevel
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward

#: The roster's columns; only those in ``REQUIRED`` must be there.
COLUMNS = (
    "email",
    "name",
    "kana",
    "mobile",
    "wards",
    "sms",
    "skills",
    "languages",
    "course",
    "level",
    "completed_on",
    "expires_on",
    "certificate",
)
REQUIRED = {"email", "name"}


@dataclass
class RosterRow:
    line: int
    raw: dict[str, str]
    email: str
    name: str
    kana: str
    mobile: str | None
    wards: list[Ward]
    wants_sms: bool
    skills: list[str]
    languages: str
    training: dict | None


@dataclass
class ImportResult:
    good: list[RosterRow] = field(default_factory=list)
    bad: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _date(text: str, column: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise ValueError(
            str(_l("%(column)s is not a date such as 2026-04-01", column=column))
        ) from None


def check_row(line: int, raw: dict[str, str], ward: Ward | None) -> RosterRow:
    """Read one row, or raise ValueError saying what is wrong with it."""
    email = auth_services.normalise_email(raw.get("email", ""))
    if "@" not in email or len(email) > 254:
        raise ValueError(str(_l("email is not an e-mail address")))
    name = raw.get("name", "")
    if not name or len(name) > 100:
        raise ValueError(str(_l("name is missing or too long")))
    try:
        mobile = services.parse_mobile(raw.get("mobile", ""))
    except RuleViolation as violation:
        raise ValueError(f"mobile: {violation}") from None
    wards = []
    for key in raw.get("wards", "").replace(";", " ").replace("、", " ").split():
        found = find_ward(key)
        if found is None:
            raise ValueError(str(_l("no ward called %(ward)s", ward=key)))
        wards.append(found)
    if ward is not None:
        if wards and ward not in wards:
            raise ValueError(str(_l("may only add volunteers to %(ward)s", ward=ward.name)))
        wards = wards or [ward]
    if not wards:
        raise ValueError(str(_l("wards is empty")))
    skills = raw.get("skills", "").replace(";", " ").split()
    unknown = set(skills) - {skill.value for skill in Skill}
    if unknown:
        raise ValueError(str(_l("unknown skills: %(skills)s", skills=", ".join(sorted(unknown)))))
    training = None
    if raw.get("course"):
        level = raw.get("level", "assistant")
        if level not in {level.value for level in TrainingLevel}:
            raise ValueError(str(_l("level must be assistant or lead")))
        completed_on = _date(raw.get("completed_on", ""), "completed_on")
        if completed_on is None or completed_on > clock.today():
            raise ValueError(str(_l("completed_on must be a past date")))
        expires_on = _date(raw.get("expires_on", ""), "expires_on")
        if expires_on is not None and expires_on < completed_on:
            raise ValueError(str(_l("expires_on is before completed_on")))
        training = {
            "course": raw["course"],
            "level": TrainingLevel(level),
            "completed_on": completed_on,
            "expires_on": expires_on,
            "certificate_ref": raw.get("certificate", ""),
        }
    return RosterRow(
        line=line,
        raw=raw,
        email=email,
        name=name,
        kana=raw.get("kana", ""),
        mobile=mobile,
        wards=wards,
        wants_sms=says_yes(raw.get("sms", "")) and mobile is not None,
        skills=skills,
        languages=raw.get("languages", ""),
        training=training,
    )


def _check_volunteer(account: User | None) -> None:
    """A roster row may make or update a volunteer, never touch another kind of account."""
    if account is not None and account.role != Role.VOLUNTEER:
        raise RuleViolation(_l("this email belongs to an account that is not a volunteer"))


def check_roster(rows: Iterable[tuple[int, dict[str, str]]], ward: Ward | None) -> ImportResult:
    """Read every row; the result lists the good ones and each bad one with its reason."""
    result = ImportResult()
    seen: dict[str, int] = {}
    for line, raw in rows:
        try:
            row = check_row(line, raw, ward)
            if row.email in seen:
                raise ValueError(
                    str(_l("the same email is on line %(line)d", line=seen[row.email]))
                )
            _check_volunteer(auth_services.find_user_by_email(row.email))
        except (ValueError, RuleViolation) as error:
            result.bad.append((line, str(error), raw))
            continue
        seen[row.email] = line
        result.good.append(row)
    return result


#: Rows written per transaction: the write lock is let go between batches, so bookings
#: and log-ins go on while a long roster is imported.
BATCH_ROWS = 100


def import_roster(actor: User | None, result: ImportResult, progress=None) -> ImportResult:
    """Create or update the good rows' volunteers, committed every ``BATCH_ROWS`` rows and
    at the end; ``progress`` is told after each row.

    Other work goes on between batches, so a row may be refused by then (its address just
    taken by a staff account, say): that row joins ``result.bad`` with its reason and the
    rest go in. A row written twice is the same, so an import cut short is finished by
    running it again.
    """
    written = []
    for number, row in enumerate(result.good, start=1):
        try:
            with db.session.begin_nested():
                created = _write_row(actor, row)
        except RuleViolation as refusal:
            result.bad.append((row.line, str(refusal), row.raw))
        else:
            written.append(row)
            result.created += created
            result.updated += not created
        if number % BATCH_ROWS == 0:
            db.session.commit()
        if progress is not None:
            progress(row)
    db.session.commit()
    result.good = written
    return result


def _write_row(actor: User | None, row: RosterRow) -> bool:
    """Write one row's volunteer; True when the account is new."""
    volunteer = auth_services.find_user_by_email(row.email)
    created = volunteer is None
    if volunteer is None:
        # No password yet (and no slow hash per row): an administrator sets one.
        volunteer = auth_services.create_user(
            actor, email=row.email, password=None, display_name=row.name,
            role=Role.VOLUNTEER,
        )  # fmt: skip
    _check_volunteer(volunteer)
    profile = services.profile_of(volunteer)
    services.update_profile(
        actor,
        volunteer,
        {
            "display_name": row.name,
            "name_kana": row.kana,
            "mobile": row.mobile or "",
            "wants_sms": row.wants_sms,
            "skills": row.skills,
            "languages": row.languages,
            "availability_notes": profile.availability_notes,
            "is_paused": profile.is_paused,
            "wards": sorted({*profile.wards, *row.wards}, key=lambda ward: ward.code),
        },
    )
    if row.training is not None:
        known = {(r.course, r.completed_on) for r in services.training_records(volunteer)}
        if (row.training["course"], row.training["completed_on"]) not in known:
            services.add_training(actor, volunteer, **row.training)
    return created


def bad_rows_csv(result: ImportResult) -> str:
    """The refused rows with their line and reason, to fix and import again."""
    return csv_text(
        [
            ["line", "reason", *COLUMNS],
            *([line, reason, *(raw.get(column, "") for column in COLUMNS)]
              for line, reason, raw in result.bad),
        ]
    )  # fmt: skip


HOURS_COLUMNS = ("日付", "開始", "終了", "講座", "会場", "支援員", "役割", "状態", "分", "時間")


def hours_csv(shifts: list[Shift]) -> bytes:
    """Volunteer hours, for Excel in Japanese."""
    rows = []
    for shift in shifts:
        session = shift.session
        start, end = clock.to_local(session.starts_dt), clock.to_local(session.ends_dt)
        rows.append(
            [
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                session.title,
                session.venue.name,
                shift.volunteer.display_name,
                shift.role.label,
                shift.status.label,
                shift.minutes,
                f"{shift.minutes / 60:.2f}",
            ]
        )
    return csv_text([HOURS_COLUMNS, *rows]).encode()
