"""Browser fixtures: the real app on a live server, driven by Debian's chromium.

One server and one browser for the whole session; a fresh context (no cookies) for each
test. Every test in this folder carries the `browser` marker.
"""

import os
import threading
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from werkzeug.serving import WSGIRequestHandler, make_server

from partnership import create_app
from partnership.extensions import db
from partnership.sample.demo import seed_demo
from partnership.sample.demo.partners import demo_password

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


class QuietRequestHandler(WSGIRequestHandler):
    """Leave the request log out of test reports: the browser's view is what matters."""

    def log_request(self, *args, **kwargs):
        pass


class LiveServer(str):
    """The server's base URL, which also knows its app (for tests that act behind the scenes)."""

    app = None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The base URL of the app, migrated and seeded with the demo partnership."""
    database = tmp_path_factory.mktemp("browser") / "partnership.db"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    yield url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"The browser tests need chromium at {CHROMIUM}: run `make browser` to install it.",
            pytrace=False,
        )
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            pytest.fail(
                f"chromium at {CHROMIUM} did not start: run `make browser`.\n{error}",
                pytrace=False,
            )
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


# Records what the page itself reports: Content-Security-Policy violations reach the
# console too, but this names the directive and the blocked address.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture
def page(context):
    """A page whose `problems` lists console errors and uncaught exceptions as they happen.

    axe-core comes with every document (as an init script, which the CSP does not govern):
    twice as fast as `Axe.run`, which sends its 500 KB to the page again on every call.
    """
    page = context.new_page()
    page.problems = []

    def on_console(message):
        if message.type == "error":
            page.problems.append(f"console error: {message.text} ({message.location['url']})")

    def on_page_error(error):
        page.problems.append(f"uncaught exception: {error}")

    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.add_init_script(AXE_SCRIPT)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    yield page
    page.close()


def sign_in(page, email: str, password: str | None = None) -> None:
    """Sign in through the real sign-in page, as a person would."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password or demo_password())
    submit(page, "Sign in")


def submit(page, button: str) -> None:
    """Click a form's button and wait until the page it leads to has loaded."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
