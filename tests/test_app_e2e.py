"""End to end: ``streamlit run`` on a loopback port, driven in headless Chromium by Playwright.

The server runs ``app.main`` unchanged; a small launcher hands it an assistant on a synthetic
index built with the hashing embedder (as ``AppTest`` does through the session state), so the
test needs neither the 1.2 GB model nor the network. The screenshot is kept in
``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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


def test_example_follow_up_sources_link_feedback_screenshot(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
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
            expect(messages.nth(1).get_by_test_id("stExpander")).to_be_visible()

            # Follow-up typed in the chat input.
            page.get_by_test_id("stChatInputTextArea").fill(FOLLOW_UP)
            page.keyboard.press("Enter")
            expect(messages).to_have_count(4)
            reply = messages.nth(3)
            expect(reply.get_by_test_id("stExpander")).to_be_visible()
            assert "[1]" in reply.inner_text()
            assert "\\" not in reply.inner_text()  # escapes are invisible once rendered

            # Sources: open them, the official link is there and opens in a new tab.
            reply.get_by_test_id("stExpander").locator("summary").click()
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
