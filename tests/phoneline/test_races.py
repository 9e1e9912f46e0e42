"""The same step of a call asked several times at once (Twilio retrying while the first
request is still at work): each waits on the database, and all get the first answer."""

import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from inclusion.extensions import db
from inclusion.phoneline.models import PhoneLineStep
from inclusion.residents.models import Booking
from tests import factories
from tests.conftest import own_database_app, ready_ward
from tests.phoneline.caller import PUBLIC, TOKEN, Caller


# Threads each with a connection of their own: one such test at a time.
@pytest.mark.xdist_group("heavy")
def test_a_step_asked_at_once_books_once(backend, tmp_path_factory):
    copies = 4
    settings = {"TWILIO_ACCOUNT_SID": "ACfake", "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC, "REMINDER_CHANNEL": "console",
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": copies + 2}}  # fmt: skip
    with own_database_app(backend, tmp_path_factory, **settings) as app:
        with app.app_context():
            ward = ready_ward("shibuya", "03-3463-1873")
            session = factories.make_session(factories.make_venue(ward))
            resident = factories.make_resident(ward)
            number, session_id = resident.phones[0].e164, session.id
            db.session.commit()
            caller = Caller(app.test_client(), "shibuya", number)
            caller.dial()
            caller.press("1")
            action = caller.action()
            db.session.remove()
        form = {"CallSid": caller.sid, "AccountSid": "ACfake", "From": number,
                "To": "+81570000111", "Digits": "1", "CallStatus": "in-progress"}  # fmt: skip
        signature = RequestValidator(TOKEN).compute_signature(action, form)
        parts = urlsplit(action)
        barrier = threading.Barrier(copies)
        answers: list[tuple[int, str]] = []

        def post() -> None:
            client = app.test_client()
            barrier.wait(timeout=30)
            response = client.post(f"{parts.path}?{parts.query}", data=form,
                                   headers={"X-Twilio-Signature": signature})  # fmt: skip
            answers.append((response.status_code, response.get_data(as_text=True)))

        threads = [threading.Thread(target=post) for _ in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [status for status, _twiml in answers] == [200] * copies
        assert len({twiml for _status, twiml in answers}) == 1
        assert "予約しました" in answers[0][1]
        with app.app_context():
            booked = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
                Booking.session_id == session_id))  # fmt: skip
            steps = db.session.scalar(sa.select(sa.func.count()).select_from(PhoneLineStep))
            assert (booked, steps) == (1, 3)
