from __future__ import annotations

import contextlib
import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableLambda

from assistant.answering import Assistant
from assistant.config import Settings
from assistant.errors import ConfigError, GenerationError
from assistant.factory import build_generator
from assistant.generators import LangChainGenerator, LlamaCppGenerator, openai_generator
from assistant.prompts import build_messages
from assistant.schema import Message
from tests.helpers import CODE, make_settings

MESSAGES = [Message("system", "Réponds en français."), Message("user", "Bonjour ?")]


@dataclass
class ChatServer:
    """A tiny OpenAI-compatible server on 127.0.0.1; ``mode`` picks how it answers."""

    url: str
    mode: str = "ok"
    reply: str = "Les protocoles nationaux sont autorisés par arrêté [1]."
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/v1/chat/completions":
                self._send(404, b'{"error": "not found"}')
                return
            server.requests.append(json.loads(body))
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            if server.mode == "slow":
                time.sleep(1.5)
            status, payload = {
                "error": (500, b'{"error": {"message": "panne"}}'),
                "garbage": (200, b"<html>pas du JSON</html>"),
                "empty": (200, self._completion("")),
            }.get(server.mode, (200, self._completion(server.reply)))
            self._send(status, payload)

        @staticmethod
        def _completion(content: str) -> bytes:
            return json.dumps(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 1_700_000_000,
                    "model": "albert-test",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
            ).encode()

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # The client may have given up already (timeout test).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

    return Handler


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    server = ChatServer(url=f"http://127.0.0.1:{httpd.server_address[1]}/v1")
    httpd.RequestHandlerClass = _handler(server)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


def llm_settings(tmp_path: Path, url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "llm_base_url": url,
        "llm_model": "albert-test",
        "llm_api_key": "sk-test-cle",
        "llm_timeout_s": 0.5,
        "backend": "openai",
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


def test_openai_generator_sends_the_model_and_messages(
    chat_server: ChatServer, tmp_path: Path
) -> None:
    generator = openai_generator(llm_settings(tmp_path, chat_server.url))
    assert generator.generate(MESSAGES) == chat_server.reply
    [request] = chat_server.requests
    assert request["model"] == "albert-test"
    assert request["temperature"] == 0
    assert request["messages"] == [
        {"role": "system", "content": "Réponds en français."},
        {"role": "user", "content": "Bonjour ?"},
    ]
    assert chat_server.headers[0]["authorization"] == "Bearer sk-test-cle"


def test_the_prompt_sent_contains_the_passages(
    chat_server: ChatServer, tmp_path: Path, shared_assistant: Assistant
) -> None:
    settings = llm_settings(tmp_path, chat_server.url)
    assistant = Assistant(
        shared_assistant.retriever,
        build_generator(settings),
        k=3,
        min_score=shared_assistant.min_score,
        min_coverage=shared_assistant.min_coverage,
    )
    answer = assistant.ask("Que dit l'article L. 4011-3 ?")
    assert answer.backend == "openai"
    assert answer.text.startswith(chat_server.reply)
    assert answer.citations[0].doc_id == CODE.doc_id
    sent = chat_server.requests[0]["messages"][-1]["content"]
    for n, hit in enumerate(answer.passages, start=1):
        assert f"[{n}] {hit.chunk.title}" in sent
        assert " ".join(hit.chunk.text.split())[:80] in sent
    assert sent.endswith("Question : Que dit l'article L. 4011-3 ?")


@pytest.mark.parametrize("mode", ["error", "garbage", "slow", "empty"])
def test_server_failures_become_generation_errors(
    chat_server: ChatServer, tmp_path: Path, mode: str
) -> None:
    chat_server.mode = mode
    generator = openai_generator(llm_settings(tmp_path, chat_server.url, llm_timeout_s=0.3))
    started = time.perf_counter()
    with pytest.raises(GenerationError) as caught:
        generator.generate(MESSAGES)
    assert time.perf_counter() - started < 1.4  # the timeout is honoured, no retry
    assert caught.value.message
    assert len(chat_server.requests) == 1


def test_failing_server_gives_the_extractive_answer_with_a_notice(
    chat_server: ChatServer, tmp_path: Path, shared_assistant: Assistant
) -> None:
    chat_server.mode = "error"
    assistant = Assistant(
        shared_assistant.retriever,
        openai_generator(llm_settings(tmp_path, chat_server.url)),
        min_score=shared_assistant.min_score,
        min_coverage=shared_assistant.min_coverage,
    )
    answer = assistant.ask("Que dit l'article L. 4011-3 ?")
    assert answer.backend == "extractive"
    assert answer.notice.startswith(
        "Le modèle de langage n'a pas pu répondre (service indisponible"
    )
    assert answer.citations


def test_openai_generator_without_base_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COOP_LLM_BASE_URL"):
        openai_generator(make_settings(tmp_path, backend="openai"))


def test_build_generator_per_backend(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert build_generator(settings) is None
    assert isinstance(build_generator(settings, "llamacpp"), LlamaCppGenerator)
    with pytest.raises(ConfigError):
        build_generator(settings, "openai")


# --- LangChainGenerator with langchain_core's fake chat model --------------------------------


def test_langchain_generator_returns_the_stripped_reply() -> None:
    generator = LangChainGenerator(FakeListChatModel(responses=["  Réponse [1].  "]), name="lc")
    assert generator.generate(MESSAGES) == "Réponse [1]."
    assert generator.name == "lc"


@pytest.mark.parametrize("reply", ["", "   \n"])
def test_langchain_generator_refuses_an_empty_reply(reply: str) -> None:
    generator = LangChainGenerator(FakeListChatModel(responses=[reply]))
    with pytest.raises(GenerationError, match="vide"):
        generator.generate(MESSAGES)


def test_langchain_generator_maps_every_role() -> None:
    def describe(messages: list[BaseMessage]) -> AIMessage:
        return AIMessage(content=" | ".join(f"{type(m).__name__}:{m.content}" for m in messages))

    reply = LangChainGenerator(RunnableLambda(describe)).generate(
        [Message("system", "s"), Message("user", "u"), Message("assistant", "a")]
    )
    assert reply == "SystemMessage:s | HumanMessage:u | AIMessage:a"


def test_langchain_generator_wraps_client_errors() -> None:
    def fail(_: object) -> str:
        raise TimeoutError("trop long")

    with pytest.raises(GenerationError, match=r"service indisponible \(TimeoutError\)"):
        LangChainGenerator(RunnableLambda(fail)).generate(MESSAGES)


# --- llama.cpp -------------------------------------------------------------------------------


def test_llamacpp_without_model_is_a_config_error(tmp_path: Path) -> None:
    generator = LlamaCppGenerator(tmp_path / "absent.gguf")
    with pytest.raises(ConfigError) as caught:
        generator.generate(MESSAGES)
    # Either the optional extra is missing or the file is: both are named to the user.
    assert "llamacpp" in caught.value.message or "absent.gguf" in caught.value.message


GGUF = Path(__file__).resolve().parents[1] / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python not installed (pip install 'coop-assistant[llamacpp]')",
)
@pytest.mark.skipif(not GGUF.is_file(), reason=f"GGUF model absent: {GGUF}")
def test_llamacpp_generates_a_cited_answer(shared_assistant: Assistant) -> None:
    hits = shared_assistant.retriever.search("Que dit l'article L. 4011-3 ?", k=2)
    reply = LlamaCppGenerator(GGUF, max_tokens=80).generate(
        build_messages("Qui autorise les protocoles nationaux ?", hits)
    )
    assert reply.strip()
