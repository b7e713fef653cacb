"""Every page each role can reach, in French and in English, read as a new user would read it.

For each role and language the crawler starts from the home page (the navigation) and follows
same-origin GET links breadth-first, keeping at most two pages per path pattern (numbers become
{id}). On each page it reads the visible text and fails on: an ISO date, a number in scientific
notation, a raw notification kind code, a catalogue sentence of the other language, a serious or
critical axe-core violation, horizontal scrolling at 320 px (what 200 % zoom on a 640 px window
gives), an error status, or a page title another kind of page already uses. The crawler knows no
page by name, so pages added later are covered without touching it.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

ROLES = {
    "visitor": None,
    "actor": "actor@le-mene.demo",
    "technician": "technician@loos-en-gohelle.demo",
    "official": "official@malaunay.demo",
    "admin": "admin@mutualisation.demo",
}
MAX_PAGES = 90
PER_PATTERN = 2
NARROW = {"width": 320, "height": 900}
# Links a crawl must not follow: they change state, switch language, or answer a file.
SKIP = re.compile(
    r"^/(logout|lang/|api/|static/)|/(export|download)|\.(pdf|csv|json|zip|geojson|png|jpe?g|xlsx|ics)$|/unsubscribe/|/renew"
)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SCIENTIFIC = re.compile(r"\b\d+(?:[.,]\d+)?[eE][+-]?\d+\b")
CATALOGUE = Path(__file__).resolve().parents[2] / "src/mutualisation/translations/fr/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|%[sd]")


def pattern_of(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{id}", parts.path)
    keys = sorted({key for key, _ in parse_qsl(parts.query)})
    return path + ("?" + "&".join(keys) if keys else "")


def _fragments(text: str) -> list[str]:
    """The literal parts of a catalogue string of at least three words (placeholders cut it)."""
    pieces = PLACEHOLDER.split(text.replace("%%", "%"))
    return [p.strip(" .:,;!?«»\"'") for p in pieces if len(p.split()) >= 3]


@cache
def tell_tales() -> dict[str, list[str]]:
    """Sentences that betray the other language: English msgids on French pages, French
    translations on English pages, only where the two differ and only from three words on."""
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh, locale="fr")
    english: set[str] = set()
    french: set[str] = set()
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or not message.string:
            continue
        if message.id.strip() == message.string.strip():
            continue
        english.update(_fragments(message.id))
        french.update(_fragments(message.string))
    common = english & french
    return {"fr": sorted(english - common), "en": sorted(french - common)}


def kind_codes() -> set[str]:
    from mutualisation.notifications import kinds

    return set(kinds.KINDS)


def text_problems(text: str, lang: str, codes: set[str]) -> list[str]:
    found = [f"ISO date {m!r}" for m in ISO_DATE.findall(text)]
    found += [f"scientific notation {m!r}" for m in SCIENTIFIC.findall(text)]
    found += [f"raw code {code!r}" for code in codes if re.search(rf"(?<![\w@.]){re.escape(code)}\b", text)]
    found += [f"other language {s!r}" for s in tell_tales()[lang] if s in text]
    return found


def check_page(page, lang: str, codes: set[str]) -> tuple[list[str], str]:
    # Text marked as another language (lang="…", as a French convention's legal body is on an
    # English page, WCAG 3.1.2) is that language by design: only the page's own language is read.
    text = page.evaluate(
        """(lang) => {
            const body = document.body.cloneNode(true);
            body.querySelectorAll('[lang]').forEach(e => { if (!e.lang.startsWith(lang)) e.remove(); });
            document.documentElement.appendChild(body);
            body.style.position = 'absolute';
            const text = body.innerText;
            body.remove();
            return text;
        }""",
        lang,
    )
    problems = text_problems(text, lang, codes)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        problems.append(
            f"horizontal scroll at 320 px ({page.evaluate('document.documentElement.scrollWidth')} px)"
        )
    problems += serious_violations(page)
    return problems, page.title().strip()


def links_of(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(page, origin: str, lang: str) -> tuple[dict[str, list[str]], int]:
    codes = kind_codes()
    queue, seen, per_pattern = deque(["/"]), {"/"}, {}
    problems: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        answer = page.goto(url)
        visited += 1
        status = answer.status if answer else 0
        if status != 200:
            problems[url] = [f"status {status}"]
            continue
        landed = urlsplit(page.url).path
        if landed != urlsplit(url).path and landed in seen:
            continue  # a redirect to a page the crawl reads on its own (an agreement's thread)
        seen.add(landed)
        found, title = check_page(page, lang, codes)
        path_pattern = pattern_of(landed if landed != urlsplit(url).path else url).split("?")[0]
        other = titles.setdefault(title, path_pattern)
        if other != path_pattern:
            found.append(f"title {title!r} also names {other}")
        if found:
            problems[url] = found
        for link in links_of(page, origin):
            key = pattern_of(link)
            if link in seen or per_pattern.get(key, 0) >= PER_PATTERN:
                continue
            seen.add(link)
            per_pattern[key] = per_pattern.get(key, 0) + 1
            queue.append(link)
    return problems, visited


def test_pattern_of_groups_pages_of_one_kind():
    assert pattern_of("http://x/agreements/12/history?page=2") == "/agreements/{id}/history?page"
    assert pattern_of("/territories/62528") == "/territories/{id}"


def test_the_detector_reads_the_catalogue():
    tales = tell_tales()
    assert tales["fr"] and tales["en"]
    assert text_problems("du 2027-05-03 au 1,045e+04", "fr", {"agreement.signed"}) == [
        "ISO date '2027-05-03'",
        "scientific notation '1,045e+04'",
    ]
    assert text_problems("kind agreement.signed", "fr", {"agreement.signed"}) == [
        "raw code 'agreement.signed'"
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_reads_right(browser, live_server, role, lang):
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=NARROW)
    context.route(lambda url: not url.startswith(live_server), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        if ROLES[role]:
            log_in(page, ROLES[role])
        if lang == "en":
            page.goto("/lang/en")
        problems, visited = crawl(page, live_server, lang)
    finally:
        context.close()
    report = "\n".join(f"{url}: {'; '.join(found)}" for url, found in sorted(problems.items()))
    print(f"{role}/{lang}: {visited} pages, {len(problems)} with problems")
    assert visited >= 3
    assert not problems, f"{role}/{lang}: {len(problems)} of {visited} pages\n{report}"
