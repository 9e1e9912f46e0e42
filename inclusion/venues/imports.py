"""A ward's venues from a CSV file, checked row by row by the staff form's own rules."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from inclusion.auth.models import User
from inclusion.csvfile import read_rows, says_yes
from inclusion.extensions import db
from inclusion.venues.forms import VenueForm
from inclusion.venues.models import Venue
from inclusion.venues.services import create_venue, update_venue
from inclusion.wards.models import Ward

#: A column of the file and the form field it fills.
COLUMNS = {
    "name": "name",
    "kind": "kind",
    "address": "address",
    "capacity": "default_capacity",
    "step_free": "has_step_free_access",
    "lift": "has_lift",
    "hearing_loop": "has_hearing_loop",
    "notes": "access_notes",
}
REQUIRED = {"name", "kind", "address", "capacity"}
FLAGS = {"step_free", "lift", "hearing_loop"}


def _form_data(cells: dict[str, str]) -> MultiDict:
    data = MultiDict({"is_active": "y"})
    for column, field in COLUMNS.items():
        value = cells.get(column, "")
        if column in FLAGS:
            if says_yes(value):
                data[field] = "y"
        else:
            data[field] = value
    return data


def check_rows(text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """Each good row's venue data, and each bad row's line and first problem, in words."""
    good, bad = [], []
    names: set[str] = set()
    for line, cells in read_rows(text, REQUIRED):
        form = VenueForm(formdata=_form_data(cells), meta={"csrf": False})
        if not form.validate():
            field, messages = next(iter(form.errors.items()))
            bad.append((line, f"{form[field].label.text}: {messages[0]}"))
        elif form.name.data in names:
            bad.append((line, f"{form.name.label.text}: {form.name.data} (×2)"))
        else:
            names.add(form.name.data)
            good.append((line, form.venue_data()))
    return good, bad


def import_venues(actor: User | None, ward: Ward, rows: list[tuple[int, dict]]) -> tuple[int, int]:
    """Add each venue, or update the ward's venue of the same name; (added, updated)."""
    existing = {
        venue.name: venue
        for venue in db.session.scalars(sa.select(Venue).where(Venue.ward_id == ward.id))
    }
    created = updated = 0
    for _line, data in rows:
        if data["name"] in existing:
            update_venue(actor, existing[data["name"]], data)
            updated += 1
        else:
            create_venue(actor, ward, data)
            created += 1
    return created, updated
