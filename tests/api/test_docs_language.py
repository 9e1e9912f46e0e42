"""The API docs speak the page's language: every word of the description is translated."""

from babel.messages.pofile import read_po

from inclusion.api.openapi import spec, texts
from tests.test_glossary import ROOT


def test_every_word_of_the_api_description_has_its_japanese(app):
    with open(ROOT / "inclusion/translations/ja/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="ja")
    with app.test_request_context():
        words = texts(spec())
    assert len(words) > 50
    missing = [text for text in words if not (catalog.get(text) and catalog.get(text).string)]
    assert not missing, f"run `make messages` and translate: {missing}"


def test_the_docs_page_reads_in_japanese_and_in_english(client):
    japanese = client.get("/api/v1/docs").get_data(as_text=True)
    assert "区のウェブサイト向けの、これからの講座・相談会" in japanese
    assert "Sessions in start order, filtered" not in japanese
    client.post("/language", data={"lang": "en"})
    english = client.get("/api/v1/docs").get_data(as_text=True)
    assert "Sessions in start order, filtered" in english
