"""What each message says, as staff read and edit it: plain Japanese with named places
(「{日時}」「{会場}」) that are filled in for each message. No template code: a ward's
staff change the words, and the app fills in the facts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    "リンク": _l("The address of the volunteer's page for cover and swaps"),
    "返却期限": _l("The day a loan smartphone is due back (read out on a call)"),
    "機種": _l("The loan smartphone's model"),
    "回答ページ": _l("The address of the survey's answer page"),
}

_COMMON = ("区名", "日時", "名前", "会場", "回", "区の電話")
_CALL_ENDS = "ご不明な点は、{区の電話}まで、お電話ください。"


@dataclass(frozen=True)
class Message:
    """A message a ward may reword: each of its kinds has its own words."""

    label: object
    is_sms: bool
    #: The places its words may use.
    places: tuple[str, ...]
    #: The words that ship with the app, by kind of message.
    standard: dict[str, str]
    #: A mail: its first line is the subject; nothing is shortened.
    is_mail: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.standard)

    @property
    def about_session(self) -> bool:
        """Whether it names a session (so a preview is of the ward's next one)."""
        return "名前" in self.places


#: Every message, by its name in URLs and in ``reminder_texts``.
MESSAGES = {
    "sms_resident.txt": Message(
        _l("SMS reminder to a resident"),
        True,
        (*_COMMON, "返信"),
        {
            "two_days_before": "【{区名}】{日時} {回} {名前} {会場}。お休みは{返信}{区の電話}へ",
            "morning": "【{区名}】本日{日時} {回} {名前} {会場}。お休みは{返信}{区の電話}へ",
        },
    ),
    "voice_resident.txt": Message(
        _l("Reminder call to a resident"),
        False,
        _COMMON,
        {
            "two_days_before": (
                "こちらは{区名}です。{日時}から、{会場}で、{名前}{回}があります。"
                "お休みされるときは、このあと2を押すか、{区の電話}まで、お電話ください。"
            ),
            "morning": (
                "こちらは{区名}です。本日、{日時}から、{会場}で、{名前}{回}があります。"
                "お休みされるときは、このあと2を押すか、{区の電話}まで、お電話ください。"
            ),
        },
    ),
    "sms_notice.txt": Message(
        _l("SMS notice to a resident"),
        True,
        (*_COMMON, "全日程"),
        {
            "promoted": (
                "【{区名}】{日時} {名前} {会場}に空きが出たので、{全日程}予約しました。"
                "お休みは{区の電話}へ"
            ),
            "cancelled": "【{区名}】{日時} {名前} {会場}は中止になりました。問合せ{区の電話}",
            "moved": "【{区名}】日時・会場の変更：{日時} {名前} {会場}。問合せ{区の電話}",
            "offer": (
                "【{区名}】{日時} {名前} {会場}に空きが出ました。先着順。ご希望は{区の電話}へ"
            ),
            "booked": "【{区名}】{全日程}予約しました：{日時} {名前} {会場}。お休みは{区の電話}へ",
            "waitlisted": (
                "【{区名}】キャンセル待ちに登録しました：{日時} {名前} {会場}。問合せ{区の電話}"
            ),
            "withdrawn": (
                "【{区名}】{全日程}取り消しました：{日時} {名前} {会場}。問合せ{区の電話}"
            ),
        },
    ),
    "voice_notice.txt": Message(
        _l("Notice call to a resident"),
        False,
        (*_COMMON, "全日程"),
        {
            "promoted": (
                "こちらは{区名}です。キャンセル待ちをされていた、{日時}からの{名前}に、"
                "空きが出ました。{全日程}ご予約しましたので、{会場}にお越しください。" + _CALL_ENDS
            ),
            "cancelled": (
                "こちらは{区名}です。{日時}からの{名前}は、中止になりました。"
                "申し訳ございません。" + _CALL_ENDS
            ),
            "offer": (
                "こちらは{区名}です。キャンセル待ちをされている、{日時}からの{名前}に、"
                "空きが出ました。先着順です。参加される方は、このあと1を押してください。"
            ),
            "moved": (
                "こちらは{区名}です。{名前}の日時や会場が変わりました。新しい日時は、"
                "{日時}から、会場は{会場}です。" + _CALL_ENDS
            ),
            "booked": (
                "こちらは{区名}です。{日時}からの、{会場}の{名前}を、{全日程}ご予約しました。"
                + _CALL_ENDS
            ),
            "waitlisted": (
                "こちらは{区名}です。{日時}からの、{会場}の{名前}の、キャンセル待ちに"
                "登録しました。" + _CALL_ENDS
            ),
            "withdrawn": (
                "こちらは{区名}です。{日時}からの、{会場}の{名前}のご予約を、取り消しました。"
                + _CALL_ENDS
            ),
        },
    ),
    "sms_volunteer.txt": Message(
        _l("SMS reminder to a volunteer"),
        True,
        (*_COMMON, "役割"),
        {"day_before": "【{区名}】{日時} {名前} {会場}（{役割}）。よろしくお願いします"},
    ),
    "sms_cover.txt": Message(
        _l("SMS to a volunteer about cover and swaps"),
        True,
        (*_COMMON, "役割", "リンク"),
        {
            "cover_offer": (
                "【{区名}】代わりの支援員募集 {日時} {名前} {会場}（{役割}）。"
                "お返事は支援員ページの「代わり・交代」へ"
            ),
            "cover_done": (
                "【{区名}】{日時} {名前}（{役割}）の代わりの方が見つかりました。"
                "ありがとうございました"
            ),
            "swap_asked": (
                "【{区名}】{日時} {名前}（{役割}）の交代のお願いあり。"
                "支援員ページの「代わり・交代」へ"
            ),
        },
    ),
    "voice_cover.txt": Message(
        _l("Call to a volunteer about cover and swaps"),
        False,
        (*_COMMON, "役割"),
        {
            "cover_offer": (
                "こちらは{区名}です。{日時}から、{会場}で行う、{名前}{回}で、"
                "{役割}の代わりの支援員を探しています。"
            ),
            "cover_done": (
                "こちらは{区名}です。{日時}からの、{名前}{回}の{役割}は、代わりの方が"
                "見つかりました。ありがとうございました。"
            ),
            "swap_asked": (
                "こちらは{区名}です。{日時}からの、{名前}{回}について、ほかの支援員の方から、"
                "交代のお願いが届いています。支援員のページの、代わり・交代から、"
                "お返事ください。"
            ),
        },
    ),
    "mail_cover.txt": Message(
        _l("Mail to a volunteer about cover and swaps"),
        False,
        (*_COMMON, "役割", "リンク"),
        {
            "cover_offer": (
                "【{区名}】代わりの支援員を探しています（{日時}）\n\n"
                "{日時}から{会場}で行う「{名前}」{回}で、{役割}の代わりの支援員を探しています。\n"
                "お受けいただける方は、次のページでお知らせください。"
                "先にお受けいただいた方にお願いします。\n{リンク}\n\n{区名}"
            ),
            "cover_done": (
                "【{区名}】代わりの方が見つかりました（{日時}）\n\n"
                "{日時}から{会場}で行う「{名前}」{回}の{役割}は、代わりの方が見つかりました。"
                "この日は、お休みいただいて大丈夫です。\n{リンク}\n\n{区名}"
            ),
            "swap_asked": (
                "【{区名}】交代のお願いが届いています（{日時}）\n\n"
                "{日時}から{会場}で行う「{名前}」{回}の{役割}について、ほかの支援員の方から"
                "交代のお願いが届いています。次のページでお返事ください。\n{リンク}\n\n{区名}"
            ),
        },
        is_mail=True,
    ),
    "sms_loan.txt": Message(
        _l("SMS to a resident about a loan smartphone"),
        True,
        ("区名", "返却期限", "機種", "区の電話"),
        {
            "loan_due": (
                "【{区名}】お貸ししているスマートフォンの返却期限は{返却期限}です。"
                "ご相談は{区の電話}へ"
            ),
            "loan_overdue": (
                "【{区名}】お貸ししているスマートフォンの返却期限（{返却期限}）が過ぎました。"
                "{区の電話}へお電話ください"
            ),
        },
    ),
    "voice_loan.txt": Message(
        _l("Call to a resident about a loan smartphone"),
        False,
        ("区名", "返却期限", "機種", "区の電話"),
        {
            "loan_due": (
                "こちらは{区名}です。お貸ししているスマートフォン、{機種}の、返却期限は、"
                "{返却期限}です。返却や延長のご相談は、{区の電話}まで、お電話ください。"
            ),
            "loan_overdue": (
                "こちらは{区名}です。お貸ししているスマートフォン、{機種}の、返却期限の、"
                "{返却期限}が、過ぎました。お手数ですが、{区の電話}まで、お電話ください。"
            ),
        },
    ),
    "sms_survey.txt": Message(
        _l("SMS asking a resident to answer a survey"),
        True,
        ("区名", "回答ページ", "区の電話"),
        {
            "survey_follow_up": "【{区名}】スマホ教室のアンケートのお願い {回答ページ}",
            "survey_yearly": "【{区名}】手続きのアンケートのお願い {回答ページ}",
        },
    ),
    "voice_survey.txt": Message(
        _l("The start of a survey call to a resident"),
        False,
        ("区名", "区の電話"),
        {
            "survey_follow_up": (
                "こちらは{区名}です。スマホ教室に参加された方に、短いアンケートを、"
                "お願いしています。電話のボタンを押して、お答えください。"
            ),
            "survey_yearly": (
                "こちらは{区名}です。オンラインの手続きについて、年に1度のアンケートを、"
                "お願いしています。電話のボタンを押して、お答えください。"
            ),
        },
    ),
}

#: Spaces an empty place leaves: two in a row, or one before a comma, a full stop or a
#: closing bracket.
_SPACES = re.compile(r" {2,}")
_SPACE_BEFORE_STOP = re.compile(r" +(?=[、。）」])")


def fill(words: str, values: dict[str, str]) -> str:
    """The words with each place filled in; an empty place leaves no stray space."""
    filled = PLACEHOLDER.sub(lambda found: values[found.group(1)], words)
    return _SPACE_BEFORE_STOP.sub("", _SPACES.sub(" ", filled)).strip()


def typed(words: str) -> str:
    """Words as staff typed them, with full-width braces and spaces made plain (a Japanese
    keyboard types ｛日時｝)."""
    return words.replace("｛", "{").replace("｝", "}").replace("\u3000", " ").strip()


def check(name: str, kind: str, words: str) -> None:
    """Refuse words with a place this message cannot fill, or a brace left open."""
    allowed = MESSAGES[name].places
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
    if set("{}") & set(unicodedata.normalize("NFKC", PLACEHOLDER.sub("", words))):
        raise RuleViolation(
            _l("Braces mark a place to fill in, such as 「{日時}」: close each one."), kind
        )
