"""The tests' caller: the app's rehearsal caller, signing with the tests' Twilio token."""

from __future__ import annotations

from inclusion.phoneline import rehearse

PUBLIC = "https://inclusion.example.lg.jp"
TOKEN = "fake-token"


class Caller(rehearse.Caller):
    def __init__(self, client, ward: str, number: str | None) -> None:
        super().__init__(client, ward, number, TOKEN, PUBLIC)

    def again(self) -> str:
        """Twilio asks the last step again: the answer must be the same."""
        first = self.twiml
        heard = super().again()
        assert self.twiml == first
        return heard
