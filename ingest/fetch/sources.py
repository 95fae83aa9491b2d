"""The catalogue of sources, validated with pydantic.

Two files: the official list (``corpus/sources.yaml``, in git) and, beside it, the user's own
documents (``local.yaml``, git-ignored, written by ``coop corpus add``). Ingestion reads both.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.errors import CorpusError
from assistant.files import read_yaml, validate_entries
from assistant.schema import is_in_force

Kind = Literal[
    "code",
    "loi",
    "decret",
    "arrete",
    "ami",
    "faq",
    "instruction",
    "page-ars",
    "page",
    "presentation",
    "communique",
    "historique",
    "presse",
]

Origin = Literal["official", "local"]

LOCAL_CATALOGUE_NAME = "local.yaml"

_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class Source(BaseModel):
    """One official document the assistant may answer from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str
    title: str
    kind: Kind
    date: str | None = None
    official_url: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    filename: str | None = None
    status: str = ""
    complete: bool = True
    origin: Origin = "official"
    """``local`` for a document the user added (``coop corpus add``); set by the loader."""

    @field_validator("doc_id")
    @classmethod
    def _safe_doc_id(cls, value: str) -> str:
        # The id becomes a file name: never let it climb out of the documents folder.
        if not _SAFE_ID.fullmatch(value) or ".." in value:
            raise ValueError(f"identifiant de document non sûr : {value!r}")
        return value

    @property
    def file_name(self) -> str:
        """Local file name inside the documents folder (defaults to ``<doc_id>.txt``)."""
        return self.filename or f"{self.doc_id}.txt"

    @property
    def in_force(self) -> bool:
        """False for texts marked historical or closed."""
        return is_in_force(self.status)


def local_catalogue_path(corpus_file: Path) -> Path:
    """The user's catalogue: ``local.yaml`` beside the official ``sources.yaml``."""
    return corpus_file.with_name(LOCAL_CATALOGUE_NAME)


def load_catalogue(corpus_file: Path) -> list[Source]:
    """The official sources, then the documents added locally (when ``local.yaml`` exists).

    Raises:
        CorpusError: either file is invalid, or a local document reuses an official doc_id.
    """
    official = load_sources(corpus_file)
    local_file = local_catalogue_path(corpus_file)
    if not local_file.is_file():
        return official
    local = load_sources(local_file, origin="local")
    taken = {source.doc_id for source in official}
    for source in local:
        if source.doc_id in taken:
            raise CorpusError(
                f"{local_file} : le document local « {source.doc_id} » porte l'identifiant "
                f"d'une source officielle de {corpus_file.name} ; retirez-le "
                f"(`coop corpus remove {source.doc_id}`) et ajoutez-le sous un autre nom."
            )
    return official + local


def load_sources(path: Path, *, origin: Origin = "official") -> list[Source]:
    """Read and validate one catalogue file; every entry gets ``origin``.

    Raises:
        CorpusError: the file is missing, is not YAML, or an entry is invalid (position given).
    """
    if origin == "local" and path.is_file() and not path.read_text(encoding="utf-8").strip():
        return []
    raw = read_yaml(path, CorpusError, "Liste des sources")
    entries = raw.get("sources", raw) if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise CorpusError(f"{path} : une liste de sources est attendue sous la clé « sources ».")
    sources = validate_entries(path, entries, Source, CorpusError, "source")
    seen: set[str] = set()
    for position, source in enumerate(sources, start=1):
        if source.doc_id in seen:
            raise CorpusError(
                f"{path}, source n° {position} : doc_id en double « {source.doc_id} »."
            )
        seen.add(source.doc_id)
    return [source.model_copy(update={"origin": origin}) for source in sources]
