"""Takes docs/images/widget.png: the widget open on the demo page with a real answer.

Run from the repository root (needs the trained model, web/node_modules and /usr/bin/chromium):
    .venv/bin/python docs/images/take_screenshot.py
It starts the real action server and Rasa server (cma_stack), serves a copy of web/
pointing at them, asks the pay question in headless Chromium and saves the window.
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from cma_stack import free_port, running_stack  # noqa: E402
from tests.helpers import copy_demo_site  # noqa: E402

QUESTION = "how much do certified medical assistants make"
OUT = ROOT / "docs" / "images" / "widget.png"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    site_port = free_port()
    site_url = f"http://127.0.0.1:{site_port}"
    with running_stack([site_url], api_token=None) as stack:
        docroot = copy_demo_site(Path(tempfile.mkdtemp(prefix="widget-shot-")), stack.rasa_url)
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", site_port), functools.partial(Quiet, directory=str(docroot))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1100, "height": 760})
                page.goto(f"{site_url}/index.html")
                page.locator(".rcw-launcher").click()
                bot = page.locator(".rcw-bot:not(.rcw-typing) .rcw-bubble")
                expect(bot.first).to_contain_text("medical assist", timeout=120_000)
                page.locator(".rcw-input").fill(QUESTION)
                page.locator(".rcw-input").press("Enter")
                expect(bot.filter(has_text="$20.76").first).to_be_visible(timeout=60_000)
                page.wait_for_timeout(1500)  # buttons and scrolling settle
                page.screenshot(path=str(OUT))
                browser.close()
        finally:
            server.shutdown()
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
