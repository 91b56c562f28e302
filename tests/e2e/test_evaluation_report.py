"""The back-test's report, opened in Chromium: its headings, tables and plots are there, and it passes the
accessibility checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playwright.async_api import expect

from tests.e2e.browser import assert_accessible, chromium, screenshot


async def test_the_evaluation_report_reads_in_a_browser(tmp_path: Path) -> None:
    history, report = tmp_path / "history.jsonl", tmp_path / "evaluation.html"
    for args in (
        ["synthetic-history", "--out", str(history), "--people", "3000", "--openings", "40", "--seed", "5"],
        ["evaluate", "--history", str(history), "--out", str(report)],
    ):
        done = subprocess.run([sys.executable, "-m", "passerelle", *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(report.as_uri())
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Évaluation sur l'historique")
        await expect(page.get_by_role("heading", name="Réussites attendues / Expected successes")).to_be_visible()
        await expect(page.locator("main")).to_contain_text("Part du gain de l'optimum captée par Passerelle")
        await expect(page.get_by_role("row", name="groupe = B")).to_be_visible()
        for image in await page.get_by_role("img").all():
            assert await image.evaluate("img => img.complete && img.naturalWidth > 300"), await image.get_attribute(
                "src"
            )
        await assert_accessible(page)
        await screenshot(page, "evaluation")
