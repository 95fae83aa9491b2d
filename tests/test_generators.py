from __future__ import annotations

import contextlib
import importlib.util
import json
import re
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

from assistant.answer import prompts
from assistant.answer.answering import Assistant
from assistant.answer.generators import LangChainGenerator, LlamaCppGenerator, openai_generator
from assistant.answer.prompts import build_messages
from assistant.config import Settings
from assistant.errors import ConfigError, GenerationError
from assistant.factory import build_generator
from assistant.schema import Hit, Message
from tests.helpers import CODE, make_chunk, make_settings

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


def test_llamacpp_generator_is_flagged_small_and_lazy(tmp_path: Path) -> None:
    generator = LlamaCppGenerator(tmp_path / "absent.gguf")
    assert generator.small_model is True
    assert generator._llm is None  # nothing loaded before the first call
    assert LangChainGenerator(FakeListChatModel(responses=["x"])).small_model is False


# --- prompts for small local models (../shared/MODELS.md) ------------------------------------


def _hits(n: int) -> list[Hit]:
    return [
        Hit(chunk=make_chunk(f"doc{i}", i, f"Texte du passage {i}. " * 60), score=1.0 / i)
        for i in range(1, n + 1)
    ]


def test_small_model_prompt_has_three_short_passages_and_no_way_out() -> None:
    history = [Message("user", "Question précédente ?"), Message("assistant", "Réponse [1].")]
    messages = build_messages("Qui autorise ?", _hits(5), history, small_model=True)
    system, user = messages[0], messages[-1]
    assert system.content == prompts.SMALL_MODEL_SYSTEM_PROMPT
    assert prompts.NOT_FOUND_MARKER not in system.content
    assert not re.search(r"ne (?:permettent|contiennent) pas|ne trouve pas", system.content)
    assert [f"[{n}] Titre de doc{n}" in user.content for n in range(1, 6)] == [True] * 3 + [
        False
    ] * 2
    assert user.content.endswith("\n\nQuestion : Qui autorise ?")
    for block in user.content.split("\n\n")[:-1]:
        quote = block.split("« ", 1)[1]
        assert len(quote) <= prompts.SMALL_MODEL_PASSAGE_CHARS + len(" […] »")
    # The question is already standalone: no history turn, only the worked examples.
    assert [m.role for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert all("Question précédente" not in m.content for m in messages)


def test_small_model_examples_cite_only_their_own_passages() -> None:
    messages = build_messages("Q ?", _hits(1), small_model=True)
    for user, answer in zip(messages[1:-1:2], messages[2:-1:2], strict=True):
        shown = {int(n) for n in re.findall(r"^\[(\d+)\] ", user.content, flags=re.M)}
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.content)}
        assert cited and cited <= shown
        assert user.content.startswith("Passages :\n[1] ")
        # Every sentence of a worked answer ends with its reference.
        sentences = re.split(r"(?<=\.) ", answer.content)
        assert all(re.search(r" \[\d+\]\.$", sentence) for sentence in sentences)


def test_default_prompt_is_unchanged_by_the_small_model_profile() -> None:
    messages = build_messages("Q ?", _hits(5))
    assert messages[0].content == prompts.SYSTEM_PROMPT
    assert "[5] Titre de doc5" in messages[-1].content


# --- the real local model (slow; needs the extra and `coop model fetch-llm`) -----------------

GGUF = Path(__file__).resolve().parents[1] / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
needs_real_llm = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or not GGUF.is_file(),
    reason=f"needs pip install -e '.[llamacpp]' and {GGUF} (coop model fetch-llm)",
)


@pytest.fixture(scope="module")
def real_llm() -> LlamaCppGenerator:
    return LlamaCppGenerator(GGUF)


@pytest.mark.slow
@needs_real_llm
def test_llamacpp_generates_a_cited_answer(
    real_llm: LlamaCppGenerator, shared_assistant: Assistant
) -> None:
    question = "Qui autorise les protocoles nationaux ?"
    hits = shared_assistant.retriever.search(question, k=5)
    shown = hits[: prompts.SMALL_MODEL_PASSAGES]
    source = next(n for n, h in enumerate(shown, 1) if "autorisés par arrêté" in h.chunk.text)
    reply = real_llm.generate(build_messages(question, hits, small_model=True))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", reply)}
    assert "arrêté" in reply.lower()
    assert source in cited
    assert cited <= set(range(1, len(shown) + 1))


@pytest.mark.slow
@needs_real_llm
def test_llamacpp_answers_through_the_assistant(
    real_llm: LlamaCppGenerator, shared_assistant: Assistant
) -> None:
    assistant = Assistant(
        shared_assistant.retriever,
        real_llm,
        min_score=shared_assistant.min_score,
        min_coverage=shared_assistant.min_coverage,
    )
    answer = assistant.ask("Qui autorise les protocoles nationaux ?")
    assert answer.backend == "llamacpp", answer.notice  # not the extractive fallback
    assert not answer.refused
    assert "arrêté" in answer.text.lower()
    assert CODE.doc_id in {c.doc_id for c in answer.citations}
