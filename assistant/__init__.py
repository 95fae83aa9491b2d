"""coop-assistant's public API: build an assistant from settings and ask it questions.

Names are loaded on first use (PEP 562), so that ``import assistant`` stays cheap: the CLI's
``--help`` and the settings loader never pull in torch, Chroma or BM25.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answer.answering import Assistant
    from assistant.config import Settings
    from assistant.errors import CoopError
    from assistant.factory import build_assistant
    from assistant.schema import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "CoopError", "Settings", "build_assistant"]

_HOMES = {
    "Answer": "assistant.schema",
    "Citation": "assistant.schema",
    "Assistant": "assistant.answer.answering",
    "Settings": "assistant.config",
    "CoopError": "assistant.errors",
    "build_assistant": "assistant.factory",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
