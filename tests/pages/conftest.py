"""A real server thread on 127.0.0.1 and Debian's Chromium driven by Playwright."""
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# refusals the tests provoke on purpose (422 form problems); a 404 or 500 is still an error
EXPECTED_STATUS = re.compile(r"Failed to load resource: .* status of (400|422)")
SCREENSHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def requests_seen():
    return []


@pytest.fixture
def page_errors():
    return []


@pytest.fixture
def open_page(browser, live_server, requests_seen, page_errors):
    """New browser contexts (separate cookie jars), each recording every URL it requests."""
    contexts = []

    def make(width=1280, height=800):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      base_url=live_server)
        context.on("request", lambda request: requests_seen.append(request.url))
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda m: m.type == "error" and not EXPECTED_STATUS.search(m.text)
                and page_errors.append(f"{page.url}: {m.text}"))
        return page

    yield make
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, context in enumerate(contexts):
        for m, page in enumerate(context.pages):  # the last state of every page, for a person to look at
            page.screenshot(path=str(SCREENSHOTS / f"last-state-{n}-{m}.png"), full_page=True)
        context.close()
