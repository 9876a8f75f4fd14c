"""pytest plugin for the browser tests: Debian's Chromium through Playwright, and axe.

Loaded from tests/conftest.py with `pytest_plugins = ["tests.browser"]`.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Impacts that fail a test. "moderate" and "minor" are worth reading but not blocking.
BLOCKING_IMPACTS = {"serious", "critical"}

# Playwright's sync API runs an event loop in this thread; the tests still use the ORM.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch the system Chromium; `playwright install` cannot download one here."""
    if not CHROMIUM.exists():
        message = "Chromium is not installed: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


_axe = Axe()


def assert_accessible(page) -> None:
    """Run axe-core on the page and fail on any serious or critical violation.

    axe is injected with page.evaluate(), which goes through the DevTools protocol and
    so is not subject to the page's Content-Security-Policy (script-src 'self' + nonce):
    no bypass_csp is needed, and the pages are checked under the CSP they really have.
    """
    results = _axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
        pytest.fail("\n".join(lines), pytrace=False)


def screenshot(page, name: str) -> None:
    """Save the whole page for a person to look at, when KOS_SCREENSHOT_DIR is set."""
    folder = os.environ.get("KOS_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)
