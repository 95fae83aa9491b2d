"""Question files (YAML) for the evaluation, validated with pydantic."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ConfigError


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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"Fichier de questions introuvable : {path}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} : YAML invalide ({err})") from err
    if not isinstance(raw, list):
        raise ConfigError(f"{path} : une liste de questions est attendue.")
    cases = []
    for position, entry in enumerate(raw, start=1):
        try:
            cases.append(EvalCase.model_validate(entry))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"{path}, question n° {position} : champ « {where} » invalide ({first['msg']})."
            ) from err
    return cases
