"""The screenshots in docs/, taken from a small demo database with the real pages.

    export CRM_VAR_DIR=/tmp/shots        # a scratch SQLite database, never your own
    python tests/e2e/shoot_docs.py --seed  # seed_demo --clients 60 --weeks 104 --seed 7, score
    python tests/e2e/shoot_docs.py         # shoot again from the same database

It serves the database with ``manage.py runserver`` on a free port and drives Debian's
Chromium with Playwright: the queue, an alert and a client as ``rep1`` in Spanish, the team
page as ``manager`` in English. The PNGs go to docs/ (``--out`` changes it). The e2e tests
(``tests/e2e/test_pages.py``) take their own screenshots of the small test world.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "docs-shot-pass-1"
VIEWPORT = {"width": 1360, "height": 900}


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def seed():
    manage("migrate", "--noinput", "-v0")
    manage("seed_demo", "--clients", "60", "--weeks", "104", "--seed", "7", "--reset",
           "--password", PASSWORD, "-v0")  # fmt: skip
    manage("score")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},  # runserver serves static files only with DEBUG
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(60):
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=2)
            return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"runserver did not answer on {url}")


def log_in(browser, url, username, locale):
    context = browser.new_context(viewport=VIEWPORT, locale=locale, device_scale_factor=1)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(url + "/")
    return context, page


def shoot(browser, url, out):
    context, page = log_in(browser, url, "rep1", "es-ES")
    page.screenshot(path=str(out / "queue.png"))  # the first screen, as a rep sees it
    page.locator("table.queue tbody tr a[href^='/alerts/']").first.click()
    page.wait_for_selector("svg.chart")
    page.screenshot(path=str(out / "detail.png"), full_page=True)
    page.locator("a[href^='/clients/']").first.click()
    page.wait_for_selector("#families-h")
    page.screenshot(path=str(out / "client.png"), full_page=True)
    context.close()

    context, page = log_in(browser, url, "manager", "en-GB")
    page.goto(url + "/team/")
    page.wait_for_selector("#manager-body")
    page.screenshot(path=str(out / "team.png"), full_page=True)
    context.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", action="store_true", help="seed and score the demo first")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    if not os.environ.get("CRM_VAR_DIR") and not os.environ.get("DATABASE_URL"):
        raise SystemExit("set CRM_VAR_DIR to a scratch folder: --seed replaces the CRM data")
    if args.seed:
        seed()
    from playwright.sync_api import sync_playwright

    server, url = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            shoot(browser, url, args.out)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots written to {args.out}")


if __name__ == "__main__":
    main()
