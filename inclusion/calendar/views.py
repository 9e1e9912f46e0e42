"""Calendar feeds (.ics) for calendar apps, the page where users manage their feed URLs,
and the import of sessions planned elsewhere."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response

from inclusion import clock
from inclusion.auth.access import public, require
from inclusion.auth.models import Role
from inclusion.caching import pages
from inclusion.calendar import feeds, imports, services
from inclusion.calendar.feeds import BadFeedRequest, Feed, FeedFilter, FeedRange
from inclusion.calendar.forms import FeedChoiceForm, ImportForm
from inclusion.calendar.models import CalendarImport, FeedKind
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.sessions.models import Session, SessionKind, Topic
from inclusion.venues.models import Venue
from inclusion.venues.services import list_venues
from inclusion.volunteers.models import Shift, ShiftStatus
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward, list_wards
from inclusion.web import (
    ConfirmFirst,
    flash_errors,
    form_status,
    get_in_ward_or_404,
    public_url,
    qr_code,
    run_button,
    run_form,
    ward_or_404,
)

bp = Blueprint("calendar", __name__)

#: Calendar apps may keep a copy this long before asking again (they send If-None-Match).
MAX_AGE = 300
MAX_IMPORT_BYTES = 1024 * 1024


def serve(feed: Feed, *, private: bool, download: str | None = None) -> Response:
    """The feed, or 304 when the client has it: checked with one query, before building."""
    now = clock.now()
    etag, last_modified = feeds.fingerprint(feed, now)
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
    else:
        response = pages.answer(feeds.cached_build(feed, etag, now), request)
        if download:
            response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    # Weak: the same calendar, compressed or not (RFC 9110 §8.8.1), matches either way.
    response.set_etag(etag, weak=True)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = f"{'private' if private else 'public'}, max-age={MAX_AGE}"
    return response


def _range() -> FeedRange:
    return feeds.requested_range(request.args.get("from"), request.args.get("to"))


@bp.errorhandler(BadFeedRequest)
def bad_feed_request(error: BadFeedRequest):
    return Response(f"{error}\n", status=400, content_type="text/plain; charset=utf-8")


@bp.route("/w/<ward>/calendar.ics")
@public
def ward_feed(ward: str):
    """A ward's sessions for anyone to subscribe to: no personal data at all."""
    ward_row = ward_or_404(ward)
    feed = Feed(
        uid=f"ward-{ward_row.slug}@{feeds.uid_domain()}",
        name=f"{ward_row.name_ja} スマホ教室・相談会",
        filter=FeedFilter(ward_ids=(ward_row.id,)),
        range=_range(),
        alarm_minutes=current_app.config["CALENDAR_PUBLIC_ALARM_MINUTES"],
    )
    return serve(feed, private=False)


@bp.route("/w/<ward>/venues/<int:venue_id>/calendar.ics")
@public
def venue_feed(ward: str, venue_id: int):
    """A venue's sessions, for the people who run the room."""
    ward_row = ward_or_404(ward)
    venue = get_in_ward_or_404(Venue, venue_id, ward_row)
    feed = Feed(
        uid=f"venue-{venue.id}@{feeds.uid_domain()}",
        name=f"{venue.name}（{ward_row.name_ja}）",
        filter=FeedFilter(venue_ids=(venue.id,)),
        range=_range(),
        alarm_minutes=current_app.config["CALENDAR_PUBLIC_ALARM_MINUTES"],
    )
    return serve(feed, private=False)


@bp.route("/w/<ward>/sessions/<int:session_id>.ics")
@public
def session_file(ward: str, session_id: int):
    """One session to add to a calendar ("add to my calendar")."""
    ward_row = ward_or_404(ward)
    session = get_in_ward_or_404(Session, session_id, ward_row)
    feed = Feed(
        uid=f"session-{session.id}-file@{feeds.uid_domain()}",
        name=session.title,
        filter=FeedFilter(session_id=session.id),
        range=feeds.default_range(),
        alarm_minutes=current_app.config["CALENDAR_PUBLIC_ALARM_MINUTES"],
    )
    return serve(feed, private=False, download=f"session-{session.id}.ics")


def _personal_feed(user, kind: FeedKind, spec: FeedFilter, name: str) -> Feed:
    return Feed(
        uid=f"{kind.value}-{user.id}@{feeds.uid_domain()}",
        name=name,
        filter=spec,
        range=_range(),
        alarm_minutes=current_app.config["CALENDAR_ALARM_MINUTES"],
    )


@bp.route("/calendar/v/<token>.ics")
@public
def volunteer_feed(token: str):
    """A volunteer's own shifts, behind the secret in the URL."""
    found = services.live_token_for(token, FeedKind.VOLUNTEER)
    if found is None:
        abort(404)
    spec = FeedFilter(volunteer_id=found.user_id)
    return serve(_personal_feed(found.user, FeedKind.VOLUNTEER, spec, "デジタル活用支援 活動予定"),
                 private=True)  # fmt: skip


#: More values than this for one filter is not a choice someone made.
MAX_FILTER_VALUES = 200


def coordinator_filter(args) -> tuple[FeedFilter, str]:
    """``?ward=shibuya&ward=minato&kind=class&topic=line&venue=12``: every part optional,
    each checked."""
    if any(len(args.getlist(key)) > MAX_FILTER_VALUES for key in args):
        raise BadFeedRequest("絞り込みの値が多すぎます。 / Too many filter values.")
    wards = []
    for key in args.getlist("ward"):
        ward = find_ward(key)
        if ward is None:
            raise BadFeedRequest(f"区 {key!r} が見つかりません。 / No ward {key!r}.")
        wards.append(ward)
    try:
        kinds = tuple(SessionKind(value) for value in args.getlist("kind"))
        topics = tuple(Topic(value) for value in args.getlist("topic"))
        venue_ids = tuple(sorted({int(value) for value in args.getlist("venue")}))
        if any(not 0 < venue_id < 2**31 for venue_id in venue_ids):
            raise ValueError(f"venue {max(venue_ids)}")
    except ValueError as error:
        raise BadFeedRequest(
            f"kind・topic・venue の値が正しくありません。 / Unknown kind, topic or venue: {error}"
        ) from None
    known = db.session.scalars(sa.select(Venue.id).where(Venue.id.in_(venue_ids))).all()
    if len(known) != len(venue_ids):
        raise BadFeedRequest("会場が見つかりません。 / No such venue.")
    names = "・".join(ward.name_ja for ward in wards) or "23区"
    spec = FeedFilter(ward_ids=tuple(sorted(ward.id for ward in wards)), kinds=kinds,
                      topics=topics, venue_ids=venue_ids)  # fmt: skip
    return spec, f"デジタル活用支援 {names}"


@bp.route("/calendar/c/<token>.ics")
@public
def coordinator_feed(token: str):
    """All wards' sessions as the coordinator chose, behind their secret. An address made
    before the choice was kept with it reads the choice from its query."""
    found = services.live_token_for(token, FeedKind.COORDINATOR)
    if found is None:
        abort(404)
    chosen = request.args if found.filters is None else MultiDict(found.filters)
    spec, name = coordinator_filter(chosen)
    return serve(_personal_feed(found.user, FeedKind.COORDINATOR, spec, name), private=True)


@bp.route("/me/shifts/<int:shift_id>.ics")
@require(Role.VOLUNTEER)
def shift_file(shift_id: int):
    """One of the volunteer's shifts, with its role, to add to their calendar."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or shift.user_id != current_user.id or shift.status == ShiftStatus.RELEASED:
        abort(404)
    feed = Feed(
        uid=f"shift-{shift.id}-file@{feeds.uid_domain()}",
        name=shift.session.title,
        filter=FeedFilter(volunteer_id=current_user.id, shift_id=shift.id),
        range=feeds.default_range(),
        alarm_minutes=current_app.config["CALENDAR_ALARM_MINUTES"],
    )
    return serve(feed, private=True, download=f"shift-{shift.id}.ics")


ISSUED = _l("Your calendar address is ready. Copy it now: it is shown only once.")
FEED_ENDPOINTS = {
    FeedKind.VOLUNTEER: "calendar.volunteer_feed",
    FeedKind.COORDINATOR: "calendar.coordinator_feed",
}
PERSONAL_ROLES = (Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)


def _feed_choice_form(**kwargs) -> FeedChoiceForm:
    wards = list_wards()
    venues = db.session.scalars(
        sa.select(Venue).where(Venue.is_active).order_by(Venue.ward_id, Venue.name)
    ).all()
    return FeedChoiceForm(wards, list(venues), **kwargs)


@bp.route("/me/calendar")
@require(*PERSONAL_ROLES)
def my_calendar():
    """The user's feed URLs: create, replace or stop them; a coordinator chooses what theirs
    shows."""
    kinds = services.feeds_for(current_user)
    tokens = {kind: services.live_token(current_user, kind) for kind in kinds}
    coordinator = tokens.get(FeedKind.COORDINATOR)
    choice = None
    if FeedKind.COORDINATOR in kinds:
        stored = coordinator.filters if coordinator and coordinator.filters else {}
        choice = _feed_choice_form(formdata=None, data=stored)
    return render_template(
        "calendar/mine.html", kinds=kinds, tokens=tokens, form=ButtonForm(), choice=choice
    )


@bp.route("/me/calendar/coordinator/choice", methods=["POST"])
@require(Role.COORDINATOR, Role.ADMIN)
def choose():
    """Save what the coordinator's calendar shows; make the address if there is none."""
    form = _feed_choice_form()
    saved = run_form(
        form,
        lambda: services.choose_filters(current_user, form.filters()),
        lambda raw: (
            str(ISSUED)
            if raw
            else _("Saved. Calendar apps show the change the next time they fetch the calendar.")
        ),
    )
    if saved is None:
        flash_errors(form)
        return redirect(url_for("calendar.my_calendar"))
    if saved.result is None:
        return redirect(url_for("calendar.my_calendar"))
    return _issued(FeedKind.COORDINATOR, saved.result)


def _feed_kind_or_404(value: str) -> FeedKind:
    try:
        kind = FeedKind(value)
    except ValueError:
        abort(404)
    if kind not in services.feeds_for(current_user):
        abort(404)
    return kind


@bp.route("/me/calendar/<feed>/issue", methods=["POST"])
@require(*PERSONAL_ROLES)
def issue(feed: str):
    kind = _feed_kind_or_404(feed)
    raw = run_button(
        ButtonForm(),
        lambda: services.issue_token(current_user, kind),
        str(ISSUED),
        # Asked only when there is an address that the new one would replace.
        ask=lambda: (
            ConfirmFirst(
                _("Make a new calendar address?"),
                _(
                    "The address you have now stops working: calendar apps that read it stop "
                    "getting changes until they are given the new one."
                ),
                _("Yes, make a new address"),
            )
            if services.live_token(current_user, kind)
            else None
        ),
    )
    if raw is None:
        return redirect(url_for("calendar.my_calendar"))
    return _issued(kind, raw)


def _issued(kind: FeedKind, raw: str):
    """The new address, shown once: to copy, to scan, or to open in a calendar app."""
    address = public_url(FEED_ENDPOINTS[kind], token=raw)
    # webcal:// asks a phone to subscribe; https:// would import the events once.
    webcal = address.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1)
    return render_template(
        "calendar/issued.html",
        kind=kind,
        address=address,
        webcal=webcal,
        qr_code=qr_code(webcal, _("QR code of the address")),
    )


@bp.route("/me/calendar/<feed>/revoke", methods=["POST"])
@require(*PERSONAL_ROLES)
def revoke(feed: str):
    kind = _feed_kind_or_404(feed)
    run_button(
        ButtonForm(),
        lambda: services.revoke_token(current_user, kind),
        _("That calendar address no longer works."),
        ask=lambda: ConfirmFirst(
            _("Stop this calendar address?"),
            _(
                "Calendar apps that read it (Google Calendar, Outlook, an iPhone) stop getting "
                "changes. A new address can be made at any time."
            ),
            _("Yes, stop the address"),
        ),
    )
    return redirect(url_for("calendar.my_calendar"))


IMPORT_ROLES = (Role.ADMIN, Role.COORDINATOR)


@bp.route("/manage/<ward>/calendar/import", methods=["GET", "POST"])
@require(*IMPORT_ROLES)
def import_file(ward: Ward):
    """Upload an .ics of sessions planned elsewhere; nothing is created before the preview."""
    venues = list_venues(ward, active_only=True)
    if not venues:
        flash(_("Add a venue first: every session takes place at one."), "info")
    form = ImportForm(venues)
    if form.validate_on_submit():
        upload = form.calendar_file.data
        try:
            with upload.stream:  # a large upload is spooled to a temporary file: close it
                content = upload.read(MAX_IMPORT_BYTES + 1)
            if len(content) > MAX_IMPORT_BYTES:
                raise RuleViolation(_("The file is larger than 1 MB."), "calendar_file")
            text = imports.read_calendar(content)
            venue = form.venues[form.venue.data]
            stored = imports.store(current_user, ward, venue, upload.filename or "", text)
        except RuleViolation as violation:
            db.session.rollback()
            form.calendar_file.errors.append(str(violation))
        else:
            db.session.commit()
            return redirect(
                url_for("calendar.import_preview", ward=ward.slug, import_id=stored.id)
            )
    return render_template("calendar/import.html", ward=ward, form=form), form_status(form)


@bp.route("/manage/<ward>/calendar/import/<int:import_id>", methods=["GET", "POST"])
@require(*IMPORT_ROLES)
def import_preview(ward: Ward, import_id: int):
    """What confirming creates, checked by the session rules; POST creates it."""
    upload = get_in_ward_or_404(CalendarImport, import_id, ward)
    form = ButtonForm()
    if request.method == "POST":
        result = run_button(
            form,
            lambda: imports.confirm(current_user, upload),
            lambda plan: _("%(count)d sessions created.", count=len(plan.new)),
        )
        if result is not None:
            return redirect(url_for("sessions.index", ward=ward.slug))
        return redirect(url_for("calendar.import_preview", ward=ward.slug, import_id=upload.id))
    plan = None if upload.imported_dt else imports.plan(current_user, upload)
    db.session.rollback()  # the preview's savepoints are gone; nothing of it stays
    return render_template(
        "calendar/import_preview.html", ward=ward, upload=upload, plan=plan, form=form
    )
