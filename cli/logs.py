"""Logging of the ``coop`` command: our warnings on stderr, library chatter only on demand."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# Libraries that log below WARNING (bm25s even forces DEBUG on its logger) or repeat harmless
# warnings: quiet unless ``--verbose``.
LIBRARY_LOGGERS = (
    "bm25s",
    "chromadb",
    "httpcore",
    "httpx",
    "huggingface_hub",
    "langchain",
    "openai",
    "pypdf",
    "sentence_transformers",
    "torch",
    "transformers",
    "urllib3",
)
FORMAT = "%(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        """The current standard error."""
        return sys.stderr


class QuietPypdf(logging.Filter):
    """Drops pypdf's records: ``coop ingest`` sums them up per file instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record of the ``pypdf`` logger or one of its children."""
        return not (record.name == "pypdf" or record.name.startswith("pypdf."))


def configure_logging(*, verbose: bool) -> None:
    """One stderr handler on the root logger; libraries at WARNING unless ``verbose``.

    Calling it again replaces what the previous call installed (one run per test, many tests).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        handler.addFilter(QuietPypdf())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        # A switch of huggingface_hub (read when transformers is first imported), not a coop
        # setting: no "Loading weights" progress bar on every question. An explicit value wins.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # noqa: TID251
