"""axe-core in Chromium on every page reachable from the navigation, for each role.

Fails on any WCAG 2.1 A or AA violation, on any page that scrolls sideways at 320 CSS
pixels (what 1280 pixels look like at 400 % zoom; 200 % is easier still), and on any part
of a page that scrolls sideways inside it at 1280 or 390 pixels.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.exceptions import HTTPException

from tests.browser.conftest import log_in

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
MAX_PAGES = 80
#: Links to files, not pages: nothing for axe to read.
DOWNLOADS = (".csv", ".ics", ".json", ".xlsx")

PERSONAS = {
    "anonymous": None,
    "admin": "admin@example.jp",
    "coordinator": "coordinator@example.jp",
    "ward_staff": "staff.shibuya@example.jp",
    "volunteer": "volunteer1@example.jp",
}

#: Pages in states the links alone do not reach: errors and refusals.
EXTRA_STATES = {
    "anonymous": ["/no-such-page"],
    "ward_staff": ["/manage/shinagawa"],
}

axe = Axe()


#: A ward office laptop, then a phone: axe checks each page at both.
SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})


#: Parts of a page that scroll sideways inside it (a table too wide for the screen).
SIDEWAYS = """[...document.querySelectorAll("#main *")].filter(element =>
    element.scrollWidth > element.clientWidth + 1
    && ["auto", "scroll"].includes(getComputedStyle(element).overflowX)
).map(element => element.getAttribute("aria-label") || element.id || element.className)"""


def problems_on(page) -> list[str]:
    found = []
    for size in SIZES:
        page.set_viewport_size(size)
        # At a laptop's width nothing needs scrolling; on a phone, tables become cards.
        for part in page.evaluate(SIDEWAYS):
            found.append(f"{page.url} at {size['width']}px: {part!r} scrolls sideways")
        results = axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:3]
            found.append(f"{page.url} at {size['width']}px: {violation['id']} "
                         f"({violation['impact']}) at {targets}")  # fmt: skip
    page.set_viewport_size({"width": 320, "height": 640})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"{page.url}: scrolls sideways by {overflow}px at 320px wide")
    page.set_viewport_size({"width": 1280, "height": 800})
    return found


def page_kind(app, path: str, query: str) -> tuple[str, tuple[str, ...]]:
    """One kind per view and set of query arguments: 23 ward pages share one template."""
    try:
        endpoint, _args = app.url_map.bind("localhost").match(path)
    except HTTPException:
        endpoint = path
    return endpoint, tuple(sorted(parse_qs(query)))


def crawl(page, live_server, start: str) -> tuple[list[str], list[str]]:
    """Visit one page of every kind linked from ``start``, breadth first."""
    origin = live_server.url
    queue, kinds, visited, problems = [start], {page_kind(live_server.app, start, "")}, [], []
    # Every stylesheet, image and icon a page asks for is there (a favicon too).
    page.on(
        "response",
        lambda response: (
            problems.append(
                f"{response.url}: {response.status} for a page's {response.request.resource_type}"
            )
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        page.goto(origin + path)
        visited.append(path)
        problems += problems_on(page)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            parts = urlsplit(urldefrag(href).url)
            if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith("/static/"):
                continue
            if parts.path.endswith(DOWNLOADS):
                continue
            kind = page_kind(live_server.app, parts.path, parts.query)
            if kind not in kinds:
                kinds.add(kind)
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return visited, problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_wcag_violations_on_any_page(page, live_server, persona):
    email = PERSONAS[persona]
    if email:
        log_in(page, email)
    visited, problems = crawl(page, live_server, "/")
    for path in EXTRA_STATES.get(persona, []):
        page.goto(live_server.url + path)
        problems += problems_on(page)
    assert len(visited) >= (2 if email is None else 3), visited
    assert not problems, "\n".join(problems)


def test_no_violations_in_form_error_states(page, live_server):
    page.goto("/login")
    page.get_by_role("button", name="ログイン").click()
    problems = problems_on(page)
    log_in(page, "admin@example.jp")
    page.goto("/admin/users/new")
    page.get_by_role("button", name="アカウントを作成").click()
    problems += problems_on(page)
    page.goto("/account/password")
    page.get_by_role("button", name="パスワードを変更").click()
    problems += problems_on(page)
    page.goto("/admin/users")
    page.get_by_role("link", name="渋谷 職員").click()
    page.get_by_role("button", name="新しいパスワードを設定").click()
    problems += problems_on(page)
    page.goto("/manage/shibuya/volunteers")
    page.locator("table a").first.click()
    page.get_by_role("button", name="研修の記録を追加").click()
    problems += problems_on(page)
    for path, button in (
        ("/manage/shibuya/volunteers/import", "取り込む"),
        ("/manage/shibuya/sessions/new", "保存"),
        ("/manage/shibuya/series/new", "定期開催を登録"),
        ("/manage/shibuya/venues/new", "保存"),
        ("/manage/shibuya/residents/new", "保存"),
        ("/manage/shibuya/residents/export", "CSVをダウンロード"),
    ):
        page.goto(path)
        page.get_by_role("button", name=button).click()
        problems += problems_on(page)
    assert not problems, "\n".join(problems)


def test_no_violations_in_english(page, live_server):
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    log_in_english = page.get_by_label("E-mail address")
    log_in_english.fill("coordinator@example.jp")
    page.get_by_label("Password").fill("inclusion-demo")
    page.get_by_role("button", name="Log in").click()
    visited, problems = crawl(page, live_server, "/")
    assert len(visited) >= 3
    assert not problems, "\n".join(problems)


def test_controls_are_at_least_44px_high(page, live_server):
    log_in(page, "admin@example.jp")
    small = []
    for path in (
        "/admin/users",
        "/admin/users/new",
        "/account/password",
        "/manage/shibuya/series/new",
    ):
        page.goto(path)
        controls = (
            "button, .button, select, .checkbox,"
            " input:not([type=hidden],[type=checkbox],[type=radio])"
        )
        for control in page.locator(controls).all():
            box = control.bounding_box()
            if box and box["height"] < 44:
                small.append(
                    f"{path}: {control.evaluate('e => e.outerHTML')[:80]} is {box['height']}px"
                )
    assert not small, "\n".join(small)


def test_the_checker_catches_a_violation(page, live_server):
    """Guard the guard: a page with known faults must be reported."""
    page.goto("/login")
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.appendChild(document.createElement("img")).src = "/static/none.png";
            const wide = main.appendChild(document.createElement("div"));
            wide.style.width = "2000px";
            wide.textContent = "wide";
        }"""
    )
    problems = problems_on(page)
    assert any("image-alt" in problem for problem in problems), problems
    assert any("scrolls sideways" in problem for problem in problems)
