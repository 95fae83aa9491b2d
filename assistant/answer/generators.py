"""LLM backends behind the ``Generator`` Protocol: OpenAI-compatible endpoints and local GGUF."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import ConfigError, GenerationError
from assistant.schema import Message

logger = logging.getLogger(__name__)


def _to_langchain(messages: Sequence[Message]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    classes = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [classes[m.role](content=m.content) for m in messages]


class LangChainGenerator:
    """Any LangChain chat model (``ChatOpenAI`` for OpenAI-compatible servers, fakes in tests)."""

    small_model = False

    def __init__(self, chat_model: Any, name: str = "openai") -> None:
        self._model = chat_model
        self.name = name

    def generate(self, messages: Sequence[Message]) -> str:
        """Reply text; any transport or format failure becomes ``GenerationError``."""
        try:
            reply = self._model.invoke(_to_langchain(messages))
        except Exception as err:  # noqa: BLE001 - every client error means "backend unusable"
            raise GenerationError(f"service indisponible ({type(err).__name__})") from err
        content = getattr(reply, "content", reply)
        text = content if isinstance(content, str) else ""
        if not text.strip():
            raise GenerationError("réponse vide ou illisible du modèle")
        return text.strip()


def openai_generator(settings: Settings) -> LangChainGenerator:
    """ChatOpenAI on ``COOP_LLM_BASE_URL`` (vLLM, Ollama, Albert API …), temperature 0."""
    if not settings.llm_base_url:
        raise ConfigError(
            "Le backend « openai » demande COOP_LLM_BASE_URL (et COOP_LLM_MODEL, COOP_LLM_API_KEY)."
        )
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    key = settings.llm_api_key or SecretStr("sans-cle")
    model = ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key,
        temperature=0,
        max_completion_tokens=400,
        timeout=settings.llm_timeout_s,
        max_retries=0,
    )
    return LangChainGenerator(model, name="openai")


class LlamaCppGenerator:
    """A local GGUF model through llama-cpp-python (optional extra ``llamacpp``).

    Defaults follow ../shared/MODELS.md for Qwen2.5-Coder-1.5B Q4_K_M on 2 CPU cores: greedy
    decoding, 256 new tokens at most, the chat template stored in the GGUF (ChatML). The model is
    loaded on the first call, and one lock serialises calls (a ``Llama`` is not thread-safe).

    One thread by default: llama.cpp's OpenMP barriers spin, so with 2 threads on 2 cores any
    other busy process (the embedder, a second user) stalls them. Measured here with one core
    taken: 24 tokens in 77 s with 2 threads, 1 s with 1 (and with 2 under OMP_WAIT_POLICY=PASSIVE).
    """

    name = "llamacpp"
    # Small model: answering should use the short prompt (prompts.build_messages(small_model=True)).
    small_model = True

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        max_tokens: int = 256,
        n_threads: int = 1,
    ) -> None:
        self._path = model_path
        self._n_ctx = n_ctx
        self._max_tokens = max_tokens
        self._n_threads = n_threads
        self._llm: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as err:
                raise ConfigError(
                    "Le backend « llamacpp » demande l'extra : "
                    "pip install 'coop-assistant[llamacpp]'."
                ) from err
            if not self._path.is_file():
                raise ConfigError(
                    f"Modèle GGUF introuvable : {self._path} (COOP_LLAMACPP_MODEL_PATH ; "
                    "récupérez-le avec `coop model fetch-llm`)."
                )
            try:
                # chat_format=None: llama-cpp-python uses the template stored in the GGUF.
                self._llm = Llama(
                    model_path=str(self._path),
                    n_ctx=self._n_ctx,
                    n_threads=self._n_threads,
                    n_threads_batch=self._n_threads,
                    seed=0,
                    verbose=False,
                )
            except ValueError as err:
                raise ConfigError(f"Modèle GGUF illisible : {self._path} ({err}).") from err
            logger.info(
                "loaded %s (chat format %s)", self._path.name, self._llm.chat_format or "gguf"
            )
        return self._llm

    def generate(self, messages: Sequence[Message]) -> str:
        """Greedy chat completion; a prompt longer than the context is a ``GenerationError``."""
        with self._lock:
            llm = self._load()
            try:
                out = llm.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    temperature=0,
                    # No repetition penalty: answers must copy the passages' words and reuse [n].
                    repeat_penalty=1.0,
                    max_tokens=self._max_tokens,
                )
                text = str(out["choices"][0]["message"]["content"] or "")
            except (KeyError, IndexError, ValueError, RuntimeError) as err:
                raise GenerationError(f"échec du modèle local ({err})") from err
        if not text.strip():
            raise GenerationError("réponse vide du modèle local")
        return text.strip()
