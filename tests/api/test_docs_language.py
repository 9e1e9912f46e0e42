"""The API docs speak the page's language (every word of the description is translated),
and every operation has examples that fit it."""

import re

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


def test_every_operation_has_examples_that_fit_its_description(app, client, make_key):
    """Each JSON body and successful answer has an example; each body's example, sent as
    it is, is never refused as not matching the description (400)."""
    with app.test_request_context():
        description = spec()
    headers = make_key()
    tried = 0
    for path, methods in description["paths"].items():
        for method, operation in methods.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            for status, response in operation["responses"].items():
                answers = response.get("content", {}).values() if status.startswith("2") else ()
                for media in answers:
                    assert "example" in media, f"{method} {path} {status}"
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            assert "example" in body, f"{method} {path}"
            url = re.sub(r"\{[^}]+\}", "1", path)
            answer = client.open(url, method=method.upper(), json=body["example"],
                                 headers={**headers, "If-Match": "*"})  # fmt: skip
            assert answer.status_code != 400, (method, path, answer.json)
            tried += 1
    assert tried >= 15


def test_every_problem_code_the_api_raises_has_its_entry_in_the_docs(client):
    """A problem's type links to /api/v1/docs#problem-<code>: that entry must be there."""
    from inclusion.api.problems import PROBLEMS, SPECIFIC_CODES

    raised = {
        code
        for path in (ROOT / "inclusion" / "api").glob("*.py")
        for code in re.findall(r'code="([a-z-]+)"', path.read_text(encoding="utf-8"))
    }
    assert raised <= SPECIFIC_CODES.keys(), raised - SPECIFIC_CODES.keys()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for code in [code for code, _title, _message in PROBLEMS.values()] + list(SPECIFIC_CODES):
        assert f'id="problem-{code}"' in page, code
