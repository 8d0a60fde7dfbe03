"""Browser steps the page tests share: login, accessibility, screenshots, origin checks."""
from urllib.parse import urlparse

from tests.pages.conftest import ROOT, SCREENSHOTS

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def login(page, username, password="demo"):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()[:2000]


def serious_violations(page) -> list[dict]:
    """axe-core (from npm, injected inline) on the page as it stands; serious and critical only."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def unlabelled_fields(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label'))
        .map((n) => n.id || n.name)""")


def check_page(page, name):
    """Accessible, labelled, and photographed at desktop and phone widths."""
    violations = serious_violations(page)
    assert violations == [], (name, violations)
    unlabelled = unlabelled_fields(page)
    assert unlabelled == [], (name, unlabelled)
    screenshots(page, name)


def screenshots(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(50)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert width <= 390, f"{name}: the page is {width}px wide at a 390px viewport"


def foreign_requests(urls) -> list[str]:
    return [u for u in urls if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname != "127.0.0.1"]


def press_tab_until(page, predicate_js: str, limit=60):
    """Keyboard only: Tab until the focused element matches ``predicate_js`` (an arrow over el)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return Boolean(({predicate_js})(el)); }}"):
            return
    raise AssertionError(f"no focusable element matched {predicate_js}")
