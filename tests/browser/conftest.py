"""Browser tests: Playwright driving Debian's Chromium, kept on 127.0.0.1."""

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces with the route guard below: no name but loopback resolves at all.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def chromium_path() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def _unavailable(reason: str):
    """Skip on a developer's machine; on CI (CI set) a missing browser is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run).", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_context():
    """A fresh headless Chromium profile whose requests may only go to loopback addresses."""
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium not found: run scripts/ensure_chromium.sh (apt-get installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -r requirements-dev.txt")
    blocked: list[str] = []

    def guard(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    # Playwright's sync API keeps an event loop running on this thread, which Django's
    # async-safety check would take for async code calling the ORM.
    with (
        pytest.MonkeyPatch.context() as patch,
        tempfile.TemporaryDirectory(prefix="chromium-") as profile,
        sync_playwright() as playwright,
    ):
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            permissions=["clipboard-read", "clipboard-write"],
        )
        context.set_default_timeout(15_000)
        context.route("**/*", guard)
        context.blocked = blocked
        try:
            yield context
        finally:
            context.close()
    assert not blocked, f"the browser tried to leave 127.0.0.1: {blocked}"


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


@pytest.fixture
def screenshot(page):
    """screenshot(name): save the page under test-artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
