"""What the phone line says, in slow, plain Japanese, and in English for a caller who asks.

Short sentences, a pause (、) where a listener needs one, the key after what it does, and
"9 to hear it again" everywhere. Names, class titles and venues are said by the Japanese
voice in both languages: they are written in Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    ja: str
    en: str

    def of(self, language: str, **values: object) -> str:
        return (self.en if language == "en" else self.ja).format(**values)


WELCOME = Words(
    "お電話ありがとうございます。{ward}の、スマホ教室の、予約の電話です。",
    "Thank you for calling the smartphone classes of {ward_en}.",
)
HELLO = Words("{name}様ですね。", "This is for {name}.")
FOR_RESIDENT = Words("{name}様の、ご用件ですね。", "This call is about {name}.")
WITHHELD_HELLO = Words(
    "お電話番号が、非通知のため、予約と伝言は、できません。教室の予定は、お聞きになれます。",
    "Your number is withheld: you can hear the classes, but not book or leave a message.",
)
#: Said in English whatever the call's language: it is for those who do not follow Japanese.
FOR_ENGLISH = "For English, press 8."
MENU = Words(
    "教室の予定を聞いて、予約するときは、1を。"
    "ご予約の確認と、取り消しは、2を。"
    "満席の教室の、キャンセル待ちは、3を。"
    "{person}"
    "もう一度聞くときは、9を、押してください。",
    "To hear the classes and book one, press 1. "
    "To hear or cancel your bookings, press 2. "
    "To join the waiting list of a full class, press 3. "
    "{person}"
    "To hear this again, press 9.",
)
MENU_WITHHELD = Words(
    "教室の予定を聞くときは、1を。{person}もう一度聞くときは、9を、押してください。",
    "To hear the classes, press 1. {person}To hear this again, press 9.",
)
TO_PERSON = Words("係の者と話すときは、0を。", "To speak to a person, press 0. ")
TO_MESSAGE = Words("伝言を残すときは、0を。", "To leave a message, press 0. ")
WHO = Words("どなたの、ご用件ですか。", "Who is this call for?")
WHO_ONE = Words("{name}様のご用件は、{key}を。", "For {name}, press {key}.")
UNNAMED = Words("お名前を、まだうかがっていない方", "the person not yet named")
PRESS = Words(
    "押してください。もう一度聞くときは、9を、押してください。", "To hear this again, press 9."
)
NO_SUCH_KEY = Words("その番号は、ありません。", "That key is not on the menu.")
SILENCE = Words("ボタンが、押されませんでした。", "We did not hear a key.")

CLASSES = Words(
    "これから2週間に、予約できる教室は、{count}件です。",
    "Classes you can book in the next two weeks: {count}.",
)
FULL_CLASSES = Words(
    "満席で、キャンセル待ちができる教室は、{count}件です。",
    "Full classes with a waiting list: {count}.",
)
NO_CLASSES = Words(
    "これから2週間に、予約できる教室は、ありません。",
    "There are no classes to book in the next two weeks.",
)
NO_FULL_CLASSES = Words(
    "いま、キャンセル待ちができる教室は、ありません。",
    "No class takes a waiting list just now.",
)
NUMBER = Words("{number}件目。", "Number {number}.")
ITEM = Words("{when}から。{venue}で、{kind}、{title}。", "{when}. A {kind}:")
#: What a session is, said shortly.
KINDS = {
    "class": Words("スマホ教室", "smartphone class"),
    "consultation": Words("スマホの個別相談", "one-to-one consultation"),
}
BOOKING = Words("{when}から。{venue}で、{title}。", "{when}:")
COURSE = Words(
    "全{count}回の講座です。すべての回を、まとめて予約します。",
    "It is a course of {count} dates, booked together.",
)
SEATS_LEFT = Words("空きは、あと{count}人分です。", "{count} places are free.")
COURSE_HELD = Words("全{count}回の講座です。", "It is a course of {count} dates.")
FULL = Words("満席です。", "It is full.")
FULL_KEYS = Words(
    "キャンセル待ちに登録するときは1を、次の教室は2を、もう一度聞くときは9を、"
    "メニューに戻るときは0を、押してください。",
    "To join its waiting list, press 1. For the next class, press 2. To hear it again, "
    "press 9. For the menu, press 0.",
)
LISTEN_KEYS = Words(
    "次の教室は2を、もう一度聞くときは9を、メニューに戻るときは0を、押してください。",
    "For the next class, press 2. To hear it again, press 9. For the menu, press 0.",
)
CLASS_KEYS = Words(
    "予約するときは1を、次の教室は2を、もう一度聞くときは9を、"
    "メニューに戻るときは0を、押してください。",
    "To book it, press 1. For the next class, press 2. To hear it again, press 9. "
    "For the menu, press 0.",
)
END_OF_LIST = Words("ご案内は、以上です。", "That is all.")

ASK_NAME = Words(
    "ご予約のため、お名前を、ゆっくり、お話しください。",
    "To book, please say your name slowly.",
)
NOT_HEARD = Words(
    "お話しが、聞き取れませんでした。もう一度、ゆっくり、お話しください。",
    "We did not catch that. Please say it again, slowly.",
)
NAME_LATER = Words(
    "お名前は、係の者が、折り返しのお電話で、うかがいます。",
    "Staff will ask your name when they call you back.",
)
WITHHELD = Words(
    "お電話番号が、非通知のため、この電話では、予約ができません。"
    "番号を通知して、おかけ直しください。",
    "Your number is withheld, so this line cannot book for you. "
    "Please call again showing your number.",
)
BOOKED = Words("{when}から、{venue}の、{title}を、予約しました。", "You are booked: {when}, ")
COURSE_BOOKED = Words(
    "全{count}回の講座、{title}を、すべて予約しました。1回目は、{when}から、{venue}です。",
    "You are booked on all {count} dates of the course. The first is {when}, ",
)
COURSE_DATES = Words("日にちは、{dates}です。", "The dates are {dates}.")
WAITLISTED = Words(
    "満席のため、{when}からの、{title}の、キャンセル待ちに、登録しました。{position}番目です。",
    "It is full, so you are number {position} on the waiting list for {when}. ",
)
WAIT_CHECK = Words(
    "席が空いたかどうかは、この電話の2番で、いつでも、確かめられます。",
    "You can hear whether a place came free with key 2 on this line, at any time.",
)
COURSE_WAITLISTED = Words(
    "満席のため、全{count}回の講座、{title}の、キャンセル待ちに、登録しました。"
    "{position}番目です。",
    "It is full, so you are number {position} on the waiting list for the whole course. ",
)
CALL_BACK = Words("区の係の者から、確認のお電話をします。", "Staff will call you back to confirm.")
IN_WRITING = Words("確認のメッセージも、お送りします。", "We will also send you a message.")
AFTER_BOOKED = Words(
    "次の教室を聞くときは2を、メニューに戻るときは0を、押してください。"
    "終わるときは、そのまま、お電話をお切りください。",
    "For the next class, press 2. For the menu, press 0. Or simply hang up.",
)
ALREADY = Words(
    "この教室か、同じ時間の教室に、すでにご予約があります。",
    "You already have a booking for this class or at the same time.",
)
CANNOT_BOOK = Words(
    "申し訳ありません。この教室は、いま、予約ができません。",
    "Sorry, this class cannot be booked now.",
)

NOT_KNOWN = Words(
    "このお電話番号では、ご予約が、見つかりませんでした。",
    "We found no bookings for this phone number.",
)
YOUR_BOOKINGS = Words("ご予約は、{count}件です。", "Your bookings: {count}.")
NO_BOOKINGS = Words("いま、ご予約は、ありません。", "You have no bookings now.")
IS_BOOKED = Words("ご予約済みです。", "You are booked.")
IS_WAITING = Words(
    "キャンセル待ちの、{position}番目です。", "You are number {position} on the waiting list."
)
SEAT_OFFERED = Words(
    "いま、席が空いています。参加されるときは、3を押してください。",
    "A place is free now. To take it, press 3.",
)
MINE_KEYS = Words(
    "取り消すときは1を、次のご予約は2を、もう一度聞くときは9を、"
    "メニューに戻るときは0を、押してください。",
    "To cancel it, press 1. For the next booking, press 2. To hear it again, press 9. "
    "For the menu, press 0.",
)
CANCEL_ASK = Words("{what}を、取り消します。", "This will cancel {what}:")
CANCEL_KEYS = Words(
    "よろしければ1を、取り消さないときは2を、押してください。",
    "To cancel, press 1. To keep it, press 2.",
)
THE_BOOKING = Words("{when}からの、{title}の、ご予約", "your booking for {when}")
THE_COURSE = Words("講座、{title}の、すべての回のご予約", "every date of the course")
THE_WAIT = Words(
    "{when}からの、{title}の、キャンセル待ち", "your place on the waiting list for {when}"
)
THE_COURSE_WAIT = Words(
    "講座、{title}の、キャンセル待ち", "your place on the waiting list of the course"
)
ALREADY_CANCELLED = Words(
    "このご予約は、すでに取り消されています。", "This was already cancelled."
)
CANCELLED = Words("{what}を、取り消しました。", "Done: we cancelled {what}.")
KEPT = Words("取り消しませんでした。", "Nothing was cancelled.")
AFTER_CANCELLED = Words(
    "ほかのご予約を聞くときは2を、メニューに戻るときは0を、押してください。",
    "For your other bookings, press 2. For the menu, press 0.",
)
SEAT_TAKEN = Words(
    "{when}から、{venue}の、{title}の、席を、予約しました。", "You have the place: {when}, "
)
SEAT_GONE = Words(
    "申し訳ありません。空いた席は、ほかの方が、先に予約されました。キャンセル待ちは、そのままです。",
    "Sorry, someone else took the place first. You keep your place on the waiting list.",
)
SEAT_CLOSED = Words(
    "申し訳ありません。この空きの受け付けは、終わりました。キャンセル待ちは、そのままです。",
    "Sorry, this place can no longer be taken. You keep your place on the waiting list.",
)

PUTTING_THROUGH = Words(
    "係の者に、おつなぎします。そのまま、お待ちください。",
    "We will put you through to a person. Please hold.",
)
DESK_CLOSED = Words(
    "ただいま、受付時間の外です。係の者と話せるのは、平日の、{opens}から、{closes}までです。",
    "Our desk is closed now. It is open on weekdays from {opens} to {closes}.",
)
DESK_BUSY = Words(
    "申し訳ありません。係の者が、ただいま、電話に出られません。",
    "Sorry, nobody can answer just now.",
)
ASK_MESSAGE = Words(
    "ご伝言を、どうぞ。お名前と、ご用件を、お話しください。話し終わったら、そのまま、お待ちください。",
    "Please leave a message: your name and what it is about. Then please hold.",
)
NO_CALL_BACK = Words(
    "お電話番号が、非通知のため、折り返しのお電話が、できません。"
    "受付時間に、{phone}へ、おかけください。",
    "Your number is withheld, so we cannot call you back. Please call {phone} when the "
    "desk is open.",
)
MESSAGE_UNHEARD = Words(
    "お話しが、聞き取れませんでしたので、係の者から、折り返し、お電話します。",
    "We could not hear a message, so staff will call you back.",
)
MESSAGE_TAKEN = Words(
    "ご伝言を、お預かりしました。係の者から、折り返し、お電話します。",
    "Thank you. Staff will call you back.",
)
SILENT_END = Words(
    "ボタンが、押されませんでしたので、お電話を、お切りします。また、おかけください。",
    "No key was pressed, so we will end the call now. Please call again.",
)
TOO_LONG = Words(
    "お電話が、長くなりましたので、いったん、お切りします。",
    "This call has gone on long, so we will end it now.",
)
SORRY = Words(
    "申し訳ありません。ただいま、お電話を、お受けできません。{phone}へ、おかけください。",
    "Sorry, we cannot take your call now. Please call {phone}.",
)
GOODBYE = Words(
    "お電話ありがとうございました。失礼いたします。", "Thank you for calling. Goodbye."
)
