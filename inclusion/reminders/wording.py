"""What each message says, as staff read and edit it: plain Japanese with named places
(「{日時}」「{会場}」) that are filled in for each message. No template code: a ward's
staff change the words, and the app fills in the facts."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from inclusion.errors import RuleViolation

#: A place to fill in: a name between braces, as staff type it.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

#: What each place holds, for the editor's list.
PLACEHOLDERS = {
    "区名": _l("The ward's name"),
    "日時": _l("Date and time (read out on a call)"),
    "名前": _l("The session's name (shortened when an SMS would be too long)"),
    "会場": _l("The venue"),
    "回": _l("Which date of a course (empty for a single session)"),
    "全日程": _l("When a whole course was booked, the words saying so (else empty)"),
    "区の電話": _l("The ward's booking phone (read digit by digit on a call)"),
    "返信": _l("When residents can answer the SMS, the words asking for 2 (else empty)"),
    "役割": _l("The volunteer's role"),
}

_COMMON = ("区名", "日時", "名前", "会場", "回", "区の電話")

#: The wording that ships with the app: message → kind of message → words.
STANDARD = {
    "sms_resident.txt": {
        "two_days_before": "【{区名}】{日時} {回}{名前}{会場}。お休みは{返信}{区の電話}へ",
        "morning": "【{区名}】本日{日時} {回}{名前}{会場}。お休みは{返信}{区の電話}へ",
    },
    "voice_resident.txt": {
        "two_days_before": (
            "こちらは{区名}です。{日時}から、{会場}で、{名前}{回}があります。"
            "お休みされるときは、このあと2を押すか、{区の電話}まで、お電話ください。"
        ),
        "morning": (
            "こちらは{区名}です。本日、{日時}から、{会場}で、{名前}{回}があります。"
            "お休みされるときは、このあと2を押すか、{区の電話}まで、お電話ください。"
        ),
    },
    "sms_notice.txt": {
        "promoted": (
            "【{区名}】{日時} {名前}{会場}に空きが出て、{全日程}ご予約できました。"
            "お休みは{区の電話}へ"
        ),
        "cancelled": "【{区名}】{日時} {名前}{会場}は中止になりました。問合せ{区の電話}",
        "moved": "【{区名}】{名前}は{日時} {会場}に変わりました。問合せ{区の電話}",
    },
    "voice_notice.txt": {
        "promoted": (
            "こちらは{区名}です。キャンセル待ちをされていた、{日時}からの{名前}に、"
            "空きが出ました。{全日程}ご予約しましたので、{会場}にお越しください。"
            "ご不明な点は、{区の電話}まで、お電話ください。"
        ),
        "cancelled": (
            "こちらは{区名}です。{日時}からの{名前}は、中止になりました。申し訳ございません。"
            "ご不明な点は、{区の電話}まで、お電話ください。"
        ),
        "moved": (
            "こちらは{区名}です。{名前}の日時や会場が変わりました。新しい日時は、{日時}から、"
            "会場は{会場}です。ご不明な点は、{区の電話}まで、お電話ください。"
        ),
    },
    "sms_volunteer.txt": {
        "day_before": "【{区名}】{日時} {名前}{会場}（{役割}）。よろしくお願いします",
    },
}

#: The places each message may use.
ALLOWED = {
    "sms_resident.txt": (*_COMMON, "返信"),
    "voice_resident.txt": _COMMON,
    "sms_notice.txt": (*_COMMON, "全日程"),
    "voice_notice.txt": (*_COMMON, "全日程"),
    "sms_volunteer.txt": (*_COMMON, "役割"),
}


def fill(words: str, values: dict[str, str]) -> str:
    """The words with each place filled in."""
    return PLACEHOLDER.sub(lambda found: values[found.group(1)], words).strip()


def check(name: str, kind: str, words: str) -> None:
    """Refuse words with a place this message cannot fill, or a brace left open."""
    allowed = ALLOWED[name]
    unknown = [place for place in PLACEHOLDER.findall(words) if place not in allowed]
    if unknown:
        raise RuleViolation(
            _l(
                "「{%(place)s}」 cannot be filled in. Use one of: %(allowed)s",
                place=unknown[0],
                allowed="".join(f"「{{{place}}}」" for place in allowed),
            ),
            kind,
        )
    if set("{}") & set(PLACEHOLDER.sub("", words)):
        raise RuleViolation(
            _l("Braces mark a place to fill in, such as 「{日時}」: close each one."), kind
        )
