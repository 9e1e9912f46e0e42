"""A survey on the telephone: each question asked with the keys that answer it, twice if
no key comes, then a goodbye; every key is recorded as it is pressed, so a call that drops
keeps what was answered."""

from __future__ import annotations

from flask import url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from inclusion.reminders.channels import GOODBYE
from inclusion.surveys.models import SurveyKind
from inclusion.surveys.questions import AGAIN, QUESTIONS
from inclusion.web import twilio_url

#: What a survey call is about, as an answering machine is told.
ABOUT_SURVEY = "アンケートのお願いについて"
THANKS = "ご協力、ありがとうございました。"
#: Said when the survey was closed another way first (answered to staff or on the page,
#: or declined): nothing changed.
CLOSED = "このアンケートは、もう受け付けを終えています。ありがとうございました。"
#: No key for the first question: nothing was answered.
NO_KEY = "お答えがなかったので、お電話を終わります。区の職員から、改めてお電話することがあります。"
#: No key for a later question: what was answered before is kept.
NO_MORE_KEY = "ここまでのお答えを、受け付けました。ありがとうございました。"


def key_url(reminder_id: int, step: int) -> str:
    """Where the keys for question ``step`` of a call go, as Twilio calls it."""
    return twilio_url(
        url_for("survey_calls.keypad", reminder_id=reminder_id, step=step, _external=True)
    )


def question_twiml(kind: SurveyKind, step: int, voice: str, action_url: str,
                   opening: str = "") -> str:  # fmt: skip
    """Ask question ``step`` (after ``opening``, the call's first words); its keys go to
    ``action_url``."""
    question = QUESTIONS[kind][step]
    response = VoiceResponse()
    if opening:
        response.say(opening, language="ja-JP", voice=voice)
        response.pause(length=1)
    for _ in range(2):
        gather = Gather(num_digits=1, action=action_url, method="POST", timeout=8)
        gather.say(question.spoken[kind] + AGAIN, language="ja-JP", voice=voice)
        response.append(gather)
    response.say(NO_MORE_KEY if step else NO_KEY, language="ja-JP", voice=voice)
    response.say(GOODBYE, language="ja-JP", voice=voice)
    return str(response)


def thanks_twiml(voice: str, words: str = THANKS) -> str:
    response = VoiceResponse()
    response.say(words, language="ja-JP", voice=voice)
    response.say(GOODBYE, language="ja-JP", voice=voice)
    return str(response)
