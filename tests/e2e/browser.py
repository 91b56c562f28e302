"""Driving Debian's Chromium with Playwright, and the checks every page goes through: accessibility
(axe-core) and the Content-Security-Policy (any violation on the page fails it: no inline script or
handler is left to break under the policy)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Every run takes the screenshots; `make screenshots` writes them where docs/people.md shows them (docs/screenshots/).
SCREENSHOTS = Path(os.environ.get("PASSERELLE_SCREENSHOTS", ROOT / ".passerelle" / "screenshots"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


# Runs before any script of each page (and is not subject to its policy): every violation is kept.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${where})`);
});
"""


class ConsoleBrowser:
    """Chromium whose every page records the Content-Security-Policy violations it meets."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    async def new_context(self, **options: Any) -> BrowserContext:
        context = await self.browser.new_context(**options)
        await context.add_init_script(RECORD_CSP_VIOLATIONS)
        return context

    async def new_page(self, **options: Any) -> Page:
        return await (await self.new_context(**options)).new_page()


@asynccontextmanager
async def chromium() -> AsyncIterator[ConsoleBrowser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield ConsoleBrowser(browser)
        finally:
            await browser.close()


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA rules, as the RGAA).
    axe is evaluated by the driver, not added as an inline <script> the page's policy would block."""
    await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        """async () => await axe.run(document, {
               runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               resultTypes: ["violations"]})"""
    )
    return [
        {"rule": v["id"], "impact": v["impact"], "where": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def assert_accessible(page: Page) -> None:
    violations = await serious_violations(page)
    assert not violations, f"{page.url}: {violations}"
    blocked = await page.evaluate("() => window.__cspViolations || []")
    assert not blocked, f"{page.url}: the Content-Security-Policy blocked {blocked}"


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def sign_in(page: Page, base_url: str, login: str, password: str) -> None:
    await page.goto(f"{base_url}/console")
    await page.get_by_label("Identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()
