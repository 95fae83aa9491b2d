"""End to end: ``streamlit run`` on a loopback port, driven in headless Chromium by Playwright.

The server runs ``app.main`` unchanged; a small launcher hands it an assistant on a synthetic
index built with the hashing embedder (as ``AppTest`` does through the session state), so the
test needs neither the 1.2 GB model nor the network. Screenshots are kept in
``test-artifacts/`` (``chat-desktop.png`` and ``chat-mobile.png`` are the README's, copied to
``docs/img/``); axe-core comes from the ``axe-playwright-python`` package, run in the page.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest

from assistant.present.chat import EXAMPLE_QUESTIONS
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import CODE, make_settings, open_store, write_corpus

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
ARTICLE_EXAMPLE = next(q for q in EXAMPLE_QUESTIONS if "L. 4011-3" in q)
FOLLOW_UP = "Et qui rédige les protocoles ?"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium absent ({CHROMIUM}) : `make browser` l'installe",
    ),
]

LAUNCHER = """\
import streamlit as st

from app import main
from assistant.config import Settings
from assistant.factory import build_assistant
from tests.fakes import HashingEmbedder


@st.cache_resource
def hashing_assistant():
    return build_assistant(Settings(), embedder=HashingEmbedder())


st.session_state["assistant"] = hashing_assistant()
main()
"""


@dataclass(frozen=True)
class Server:
    url: str
    feedback_db: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"streamlit did not start:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e")
    settings = make_settings(root, feedback_db=root / "feedback.sqlite3")
    write_corpus(settings.corpus_file, settings.corpus_dir)
    Ingestor(settings, HashingEmbedder(), open_store(settings.index_dir)).run()
    launcher = root / "launch_app.py"
    launcher.write_text(LAUNCHER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env |= {
        "PYTHONPATH": str(REPO_ROOT),
        "HF_HUB_OFFLINE": "1",
        "COOP_INDEX_DIR": str(settings.index_dir),
        "COOP_CORPUS_FILE": str(settings.corpus_file),
        "COOP_CORPUS_DIR": str(settings.corpus_dir),
        "COOP_FEEDBACK_DB": str(settings.feedback_db),
        "COOP_K": str(settings.k),
        "COOP_FETCH_K": str(settings.fetch_k),
        "COOP_MIN_SCORE": str(settings.min_score),
    }
    port = _free_port()
    log = root / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(launcher),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Server(url, settings.feedback_db, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def test_example_follow_up_sources_link_feedback_screenshot(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="fr-FR")
            page.set_default_timeout(60_000)
            page.goto(server.url)

            # First screen: what the assistant knows, and example questions as buttons.
            expect(page.get_by_text("ne remplace pas l'avis de votre ARS")).to_be_visible()
            expect(page.get_by_role("button", name=ARTICLE_EXAMPLE)).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "app-e2e-accueil.png"))
            page.get_by_role("button", name=ARTICLE_EXAMPLE).click()
            messages = page.get_by_test_id("stChatMessage")
            expect(messages).to_have_count(2)
            # The sources are open under the answer: no click needed.
            expect(messages.nth(1).locator("#source-0-1")).to_be_visible()

            # Follow-up typed in the chat input.
            page.get_by_test_id("stChatInputTextArea").fill(FOLLOW_UP)
            page.keyboard.press("Enter")
            expect(messages).to_have_count(4)
            reply = messages.nth(3)
            expect(reply.locator("#source-1-1")).to_be_visible()
            assert "\\" not in reply.inner_text()  # escapes are invisible once rendered

            # A click on [1] lands on its source card.
            page.mouse.wheel(0, -5000)
            reply.get_by_role("link", name="[1]", exact=True).first.click()
            expect(page).to_have_url(re.compile(r"#source-1-1$"))
            expect(reply.locator("#source-1-1")).to_be_in_viewport()

            # The card's official link opens in a new tab.
            link = reply.get_by_role("link", name="Texte officiel ↗").first
            expect(link).to_be_visible()
            assert link.get_attribute("href") == CODE.url
            assert link.get_attribute("target") == "_blank"

            # Feedback: 👍 on the follow-up answer is written to SQLite.
            reply.get_by_test_id("stFeedbackButton").first.click()
            expect(reply.get_by_text("Merci, votre avis est enregistré.")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "app-e2e.png"), full_page=True)
        finally:
            browser.close()

    with sqlite3.connect(server.feedback_db) as conn:
        rows = conn.execute("SELECT question, rating FROM feedback").fetchall()
    assert rows == [(FOLLOW_UP, 1)]
    assert (ARTIFACTS / "app-e2e.png").stat().st_size > 10_000
    assert "Traceback" not in server.log.read_text(encoding="utf-8")


# English the page must not show (Streamlit's own strings included); allowed: "Streamlit".
ENGLISH = re.compile(
    r"\b(?:the|and|with|your|select|choose|skip|deploy|running|stop|clear|search|copy|press"
    r"|upload|settings|rerun|dd|mm|yyyy|loading|message)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("desktop", {"width": 1400, "height": 900}), ("mobile", {"width": 390, "height": 844})],
)
def test_page_is_french_accessible_and_explains_a_too_long_question(
    server: Server, name: str, viewport: dict[str, int]
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page(viewport=viewport, locale="fr-FR")
            page.set_default_timeout(60_000)
            page.goto(server.url)
            expect(page.get_by_role("button", name=ARTICLE_EXAMPLE)).to_be_visible()
            page.wait_for_timeout(500)
            # The page opens at its top, title included, in French.
            expect(page.get_by_role("heading", level=1)).to_be_in_viewport()
            assert page.evaluate("document.documentElement.lang") == "fr"

            page.get_by_role("button", name=ARTICLE_EXAMPLE).click()
            messages = page.get_by_test_id("stChatMessage")
            expect(messages).to_have_count(2)
            expect(messages.nth(1).locator("#source-0-1")).to_be_visible()
            # On a phone the answer takes the whole width (no avatar beside it).
            if name == "mobile":
                box = messages.nth(1).get_by_test_id("stChatMessageContent").bounding_box()
                assert box is not None and box["width"] >= viewport["width"] - 80
            page.screenshot(path=str(ARTIFACTS / f"chat-{name}.png"), full_page=name == "desktop")

            # A pasted question over the limit is explained in French, not dropped.
            page.get_by_test_id("stChatInputTextArea").fill("Quel protocole ? " * 150)
            page.keyboard.press("Enter")
            expect(messages).to_have_count(4)
            expect(messages.nth(3)).to_contain_text("La question est trop longue")

            visible = page.evaluate("document.body.innerText")
            assert not ENGLISH.findall(visible), ENGLISH.findall(visible)
            # The document filter's list, once opened, is French too.
            if name == "desktop":
                page.get_by_test_id("stSelectbox").click()
                listbox = page.get_by_role("listbox")
                expect(listbox).to_be_visible()
                opened = listbox.inner_text()
                assert "Tous les documents" in opened and not ENGLISH.findall(opened), opened
                page.keyboard.press("Escape")

            # Axe reads the page at rest: elements of a run being redrawn are faded.
            expect(page.locator("[data-stale='true']")).to_have_count(0)
            page.wait_for_timeout(1000)
            results = Axe().run(page)
            serious = [
                (v["id"], v["impact"], len(v["nodes"]))
                for v in results.response["violations"]
                if v["impact"] in {"serious", "critical"}
            ]
            assert serious == [], results.generate_report()
        finally:
            browser.close()
    assert "Traceback" not in server.log.read_text(encoding="utf-8")
