"""A fake Twilio on 127.0.0.1: LINE's fallback sends through the real client."""

import pytest

from tests.reminders.fake_twilio import FakeTwilio


@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as server:
        yield server
