"""EditForm decides, in one place, which value a field shows."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, RadioField, SelectChoice, StringField, SubmitField

from inclusion.forms import EditForm, MultiCheckboxField, form_value, strip_whitespace
from inclusion.venues.models import VenueKind


class PetForm(EditForm):
    name = StringField(filters=[strip_whitespace])
    kind = RadioField(choices=[SelectChoice("cat", "cat"), SelectChoice("dog", "dog")])
    wards = MultiCheckboxField(coerce=int, choices=[SelectChoice(1, "a"), SelectChoice(2, "b")])
    is_friendly = BooleanField(default=True)
    reason = StringField(default="because")
    submit = SubmitField()

    unstored = frozenset({"reason"})


STORED = SimpleNamespace(name="Tama", kind="dog", wards=[2], is_friendly=False, reason="stored")


def test_a_form_shows_what_is_stored_and_defaults_only_what_is_not(app):
    with app.test_request_context():
        form = PetForm.of(STORED, formdata=None)
    assert form.data | {"submit": False} == {
        "name": "Tama",
        "kind": "dog",
        "wards": [2],
        "is_friendly": False,  # stored off beats the field's default on
        "reason": "because",  # not stored: the default
        "submit": False,
    }


def test_what_is_submitted_beats_what_is_stored(app):
    sent = MultiDict([("name", " Pochi \r\n"), ("kind", "cat"), ("wards", "1"), ("reason", "x")])
    with app.test_request_context(method="POST", data=sent):
        form = PetForm.of(STORED)
    # An unticked box sends nothing: it is off, whatever is stored.
    assert form.data == {
        "name": "Pochi",
        "kind": "cat",
        "wards": [1],
        "is_friendly": False,
        "reason": "x",
        "submit": False,
    }


def test_a_new_record_shows_the_defaults(app):
    with app.test_request_context():
        form = PetForm(formdata=None)
    assert form.is_friendly.data is True
    assert form.name.data is None


@pytest.mark.parametrize("given", [{"obj": STORED}, {"data": {"name": "x"}}, {"name": "x"}])
def test_values_from_anywhere_but_the_record_are_refused(app, given):
    with app.test_request_context(), pytest.raises(TypeError, match=r"\.of\(record\)"):
        PetForm(formdata=None, **given)


def test_a_field_the_record_does_not_give_is_refused(app):
    class Partial(PetForm):
        @classmethod
        def stored_values(cls, record):
            return {"name": record.name, "kind": record.kind}

    with app.test_request_context(), pytest.raises(TypeError, match="wards"):
        Partial.of(STORED, formdata=None)


def test_stored_values_read_as_fields_hold_them(app, shibuya):
    assert form_value(VenueKind.LIBRARY) == "library"
    assert form_value([shibuya]) == [shibuya.id]
    assert form_value(None) is None
    with pytest.raises(TypeError, match="local"):
        form_value(datetime(2026, 4, 1, tzinfo=UTC))


def test_line_breaks_are_kept_as_stored():
    assert strip_whitespace("一行目\r\n二行目\r三行目\n") == "一行目\n二行目\n三行目"


def test_a_record_given_by_position_is_refused(app):
    with app.test_request_context(), pytest.raises(TypeError, match="by position"):
        PetForm(None, STORED)
