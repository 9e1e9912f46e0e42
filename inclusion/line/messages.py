"""What a LINE message looks like: the reminder's words, then a button for each answer it
takes and one to call the ward. A tap comes back as a postback naming the message and
the answer, handled as a key pressed on a call is."""

from __future__ import annotations

import re

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    Message,
    PostbackAction,
    TextMessage,
    URIAction,
)

CONFIRM, CANCEL = "confirm", "cancel"
#: The buttons' words; a tap also shows them in the chat as the resident's own message.
LABELS = {CONFIRM: "参加します", CANCEL: "取り消す"}
CALL_LABEL = "区に電話する"
#: LINE shows at most this much of a message in the list of chats and notifications.
ALT_TEXT_LIMIT = 400

_POSTBACK = re.compile(r"r=([1-9][0-9]{0,17})&a=(confirm|cancel)")


def postback_data(reminder_id: int, answer: str) -> str:
    return f"r={reminder_id}&a={answer}"


def parse_postback(data: str) -> tuple[int, str] | None:
    """(reminder id, answer) from a button's data; None for anything else."""
    found = _POSTBACK.fullmatch(data or "")
    return (int(found.group(1)), found.group(2)) if found else None


def tel_uri(phone: str) -> str | None:
    """``tel:0334631211`` for a ward's number as written (03-3463-1211)."""
    digits = re.sub(r"\D", "", phone or "")
    return f"tel:{digits}" if digits else None


def message(reminder_id: int, body: str, answers: tuple[str, ...], phone: str) -> Message:
    """The words, as a Flex bubble with buttons when there is something to tap."""
    buttons = [
        FlexButton(
            action=PostbackAction(
                label=LABELS[answer],
                data=postback_data(reminder_id, answer),
                display_text=LABELS[answer],
            ),
            style="primary" if answer == CONFIRM else "secondary",
            height="md",
        )
        for answer in answers
    ]
    if call := tel_uri(phone):
        buttons.append(
            FlexButton(action=URIAction(label=CALL_LABEL, uri=call), style="link", height="md")
        )
    if not buttons:
        return TextMessage(text=body)
    bubble = FlexBubble(
        body=FlexBox(
            layout="vertical",
            contents=[FlexText(text=body, wrap=True, size="lg")],
        ),
        footer=FlexBox(layout="vertical", spacing="md", contents=buttons),
    )
    return FlexMessage(alt_text=body[:ALT_TEXT_LIMIT], contents=bubble)
