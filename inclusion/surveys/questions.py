"""The questions each survey asks, the same in every ward so that the wards' figures can be
added up: as said on a call (with the keys that answer), and as shown on a page."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from inclusion.surveys.models import SurveyKind

AGAIN = "もう一度お聞きになるときは、9を押してください。"


@dataclass(frozen=True)
class Question:
    """One question: the ``SurveyAsk`` column its answer goes in."""

    column: str
    #: How a page asks it (staff's form, the resident's answer page).
    label: LazyString
    #: What each answer is, as a page offers it: (stored value, label), in order.
    choices: tuple[tuple[bool | int, LazyString], ...]
    #: How a call asks it, by survey.
    spoken: dict[SurveyKind, str]
    #: The key that gives each answer on a call.
    keys: dict[str, bool | int]


USED_ONLINE = Question(
    "used_online",
    _l("Have you used an online procedure (on a smartphone or a computer)?"),
    ((True, _l("Yes, I have")), (False, _l("No, not yet"))),
    {
        SurveyKind.FOLLOW_UP: (
            "スマホ教室に参加されてから、スマートフォンなどで、オンラインの手続きを、"
            "したことはありますか。したことがある方は1を、まだの方は2を押してください。"
        ),
        SurveyKind.YEARLY: (
            "この1年で、スマートフォンなどで、オンラインの手続きを、したことはありますか。"
            "したことがある方は1を、まだの方は2を押してください。"
        ),
    },
    {"1": True, "2": False},
)
RESOLVED = Question(
    "resolved",
    _l(
        "Can you do the procedures you need online without trouble, on your own or with "
        "someone's help?"
    ),
    ((True, _l("Yes, I can")), (False, _l("No, I have trouble"))),
    {
        SurveyKind.YEARLY: (
            "区や国の手続きを、オンラインで、困ることなく、できますか。ご自分でも、"
            "だれかの手伝いでも、かまいません。できる方は1を、困っている方は2を押してください。"
        ),
    },
    {"1": True, "2": False},
)
SATISFACTION = Question(
    "satisfaction",
    _l("How satisfied are you with the ward's smartphone classes and help?"),
    (
        (5, _l("5: very satisfied")),
        (4, _l("4: satisfied")),
        (3, _l("3: neither")),
        (2, _l("2: a little dissatisfied")),
        (1, _l("1: dissatisfied")),
    ),
    {
        kind: (
            "区のスマホ教室や、相談の手伝いに、どのくらい満足していますか。とても満足なら5、"
            "満足なら4、ふつうなら3、少し不満なら2、不満なら1を押してください。"
        )
        for kind in SurveyKind
    },
    {str(score): score for score in range(1, 6)},
)

#: Each survey's questions in the order they are asked; the first is the one that counts
#: the resident as having answered.
QUESTIONS = {
    SurveyKind.FOLLOW_UP: (USED_ONLINE, SATISFACTION),
    SurveyKind.YEARLY: (USED_ONLINE, RESOLVED, SATISFACTION),
}
