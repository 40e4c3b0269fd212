"""One Chromium page for the browser tests: Debian's chromium, driven by Playwright, never a
downloaded browser; a full-page screenshot of where each test ended, in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@contextmanager
def chromium_page(screenshot: str, *, height: int = 800) -> Iterator[Page]:
    """A fresh page (1280 wide, 30-second timeouts); ``screenshot`` names its last picture."""
    assert Path(CHROMIUM).exists(), "install Debian's chromium package (scripts/test does it in CI)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1280, "height": height})
        context.set_default_timeout(30_000)
        opened = context.new_page()
        try:
            yield opened
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            opened.screenshot(path=ARTIFACTS / screenshot, full_page=True)
            browser.close()
