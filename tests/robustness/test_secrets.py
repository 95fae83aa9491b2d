"""The LLM API key never leaves Settings: not in repr, doctor, logs, errors or answers.

A loopback "LLM" echoes the Authorization header it receives back into its error bodies, so a key
that leaked through an exception message or a log line would show up in the checks below.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import cli
from assistant.answer.generators import openai_generator
from assistant.config import Settings
from assistant.errors import GenerationError
from assistant.factory import build_assistant
from assistant.index.store import ChromaStore
from assistant.schema import Message
from ingest.indexing import IngestReport
from tests.fakes import HashingEmbedder
from tests.helpers import make_settings

SENTINEL = "sk-SENTINELLE-0123456789abcdef"


class EchoServer(ThreadingHTTPServer):
    status: int
    seen_auth: list[str]


class EchoHandler(BaseHTTPRequestHandler):
    server: EchoServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        self.server.seen_auth.append(auth)
        body = json.dumps({"error": {"message": f"clé refusée : {auth}", "type": "auth"}}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    httpd = EchoServer(("127.0.0.1", 0), EchoHandler)
    httpd.status, httpd.seen_auth = 401, []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _everything_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level: httpx and openai included


def llm_settings(root: Path, echo: EchoServer) -> Settings:
    return make_settings(
        root,
        backend="openai",
        llm_base_url=f"http://127.0.0.1:{echo.server_address[1]}/v1",
        llm_api_key=SENTINEL,
        llm_timeout_s=5.0,
    )


def test_key_not_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_LLM_API_KEY", SENTINEL)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.llm_api_key is not None
    assert settings.llm_api_key.get_secret_value() == SENTINEL  # it was read...
    for shown in (repr(settings), str(settings), settings.model_dump_json(), f"{settings!r}"):
        assert SENTINEL not in shown  # ...and is never shown


def test_key_not_in_doctor_output_nor_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("COOP_LLM_API_KEY", SENTINEL)
    monkeypatch.setenv("COOP_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("COOP_EMBEDDING_MODEL", str(tmp_path / "modele"))
    monkeypatch.setattr(cli, "console", Console(width=250))
    result = CliRunner().invoke(cli.app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "Clé API LLM" in result.output and "configurée (masquée)" in result.output
    assert SENTINEL not in result.output
    assert SENTINEL not in caplog.text


@pytest.mark.parametrize("status", [401, 500])
def test_key_not_in_generator_errors_nor_logs(
    tmp_path: Path, echo: EchoServer, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    echo.status = status
    generator = openai_generator(llm_settings(tmp_path, echo))
    with pytest.raises(GenerationError) as caught:
        generator.generate([Message("user", "Bonjour ?")])
    assert echo.seen_auth == [f"Bearer {SENTINEL}"]  # the key was really sent
    assert SENTINEL not in caught.value.message
    assert SENTINEL not in str(caught.value)
    assert SENTINEL not in caplog.text


def test_key_not_in_the_fallback_answer(
    tmp_path: Path,
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    echo: EchoServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assistant = build_assistant(
        llm_settings(tmp_path, echo), embedder=HashingEmbedder(), store=store
    )
    answer = assistant.ask("Qui rédige les protocoles de coopération ?")
    assert echo.seen_auth, "the LLM should have been called"
    assert answer.notice  # fell back to the extractive answer, with a notice
    shown = " ".join([answer.text, answer.notice, *(c.quote for c in answer.citations)])
    assert SENTINEL not in shown
    assert SENTINEL not in caplog.text
