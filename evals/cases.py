"""Question files (YAML) for the evaluation, validated with pydantic."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import ConfigError
from assistant.files import read_yaml, validate_entries


class ExpectedSource(BaseModel):
    """One acceptable source document."""

    model_config = ConfigDict(frozen=True)

    doc: str


class EvalCase(BaseModel):
    """One question of the evaluation set (field names fixed by the shared format)."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    history: list[str] = Field(default_factory=list)
    answerable: bool = True
    expected_sources: list[ExpectedSource] = Field(default_factory=list)
    must_include: list[list[str]] = Field(default_factory=list)

    @property
    def expected_docs(self) -> set[str]:
        """Doc ids of which any one counts as a hit."""
        return {source.doc for source in self.expected_sources}


def load_cases(path: Path) -> list[EvalCase]:
    """Read a question file.

    Raises:
        ConfigError: missing file, invalid YAML, or an invalid entry (position and field given).
    """
    raw = read_yaml(path, ConfigError, "Fichier de questions")
    if not isinstance(raw, list):
        raise ConfigError(f"{path} : une liste de questions est attendue.")
    return validate_entries(path, raw, EvalCase, ConfigError, "question")
