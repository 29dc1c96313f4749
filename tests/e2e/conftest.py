"""Real-browser end-to-end tests: Chromium (Debian's, never a downloaded one) driven by Playwright
against pytest-django's `live_server`.

Playwright's sync API runs an asyncio event loop in the test thread, so Django's async-safety
check has to be switched off before any database access happens in that thread.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("PANDI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]
# Generous for a loaded 2-core CI box, short enough that a broken page fails fast.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's chromium or set PANDI_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip("Playwright for Python is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def e2e_world(transactional_db: None) -> Any:
    """The shared test world, committed for real so the live server's thread sees it."""
    from tests.conftest import make_world

    return make_world()


def save_screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png (relative to the repo root)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", name)
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    return save_screenshot


def login_as(page: Any, base_url: str, username: str, password: str) -> Any:
    """Fill the login form and submit; returns the response of the resulting navigation."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation() as nav:
        page.click("form button[type=submit]")
    return nav.value


def logout(page: Any) -> None:
    """Log out through the POST form in the user dropdown menu."""
    page.click("[data-testid=user-menu]")
    item = page.locator("form[action$='/accounts/logout/'] button")
    item.wait_for(state="visible")
    with page.expect_navigation():
        item.click()


@pytest.fixture
def login(page: Any, live_server: Any) -> Callable[[str, str], Any]:
    """`login("lead")` logs the page in through the real form with the world password."""
    from tests.conftest import PASSWORD

    def _login(username: str, password: str = PASSWORD) -> Any:
        return login_as(page, live_server.url, username, password)

    return _login
