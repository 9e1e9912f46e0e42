"""One word per thing: a word the glossary says not to use appears in no template, no
Japanese message and no standard reminder wording."""

from __future__ import annotations

import pathlib
import re

from babel.messages.pofile import read_po

from inclusion.reminders.wording import MESSAGES

ROOT = pathlib.Path(__file__).resolve().parent.parent


def banned_words() -> dict[str, str]:
    """Each word not to use, with the word to use instead."""
    banned = {}
    for line in (ROOT / "docs" / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[3] and not set(cells[0]) <= {"-", " "}:
            for word in re.split(r",\s*", cells[3]):
                if word and word != "Do not use":
                    banned[word] = cells[0]
    return banned


def glossary_terms() -> set[str]:
    """The words to use: a ruled-out word may be part of one (DX推進リーダー is not リーダー)."""
    terms = set()
    for line in (ROOT / "docs" / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and not set(cells[0]) <= {"-", " "}:
            terms.update(part for part in re.split(r"[（）]", cells[0]) if part)
    return terms


def test_the_glossary_lists_words_not_to_use():
    banned = banned_words()
    assert {"住民", "リマインダー", "ボランティア", "セッション"} <= banned.keys()


def test_no_page_or_message_uses_a_word_the_glossary_rules_out():
    banned = banned_words()
    with open(ROOT / "inclusion/translations/ja/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="ja")
    texts = {f"ja: {message.id}": message.string for message in catalog if message.id}
    for name, message in MESSAGES.items():
        texts.update(
            {f"wording: {name} {kind}": words for kind, words in message.standard.items()}
        )
    for template in (ROOT / "templates").rglob("*"):
        if template.suffix in (".html", ".txt", ".xml"):
            texts[str(template.relative_to(ROOT))] = template.read_text(encoding="utf-8")
    terms = glossary_terms()

    def uses(text: str, word: str) -> bool:
        for term in terms:
            if word in term and word != term:
                text = text.replace(term, "")
        return word in text

    found = [f"{where}: 「{word}」 (use 「{instead}」)"
             for where, text in texts.items() for word, instead in banned.items()
             if uses(str(text), word)]  # fmt: skip
    assert not found, "\n".join(found)
