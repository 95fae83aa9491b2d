"""Small file helpers shared by the set-up, ingestion and evaluation code."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assistant.errors import CoopError

ModelT = TypeVar("ModelT", bound=BaseModel)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_yaml(path: Path, error: Callable[[str], CoopError], what: str) -> Any:
    """Parsed YAML, or ``error`` with a French message (missing file, invalid YAML)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise error(f"{what} introuvable : {path}") from err
    except yaml.YAMLError as err:
        raise error(f"{path} : YAML invalide ({err})") from err


def validate_entries(
    path: Path,
    entries: list[Any],
    model: type[ModelT],
    error: Callable[[str], CoopError],
    noun: str,
) -> list[ModelT]:
    """Validate each entry; the first invalid one raises ``error`` naming its position and field."""
    valid = []
    for position, entry in enumerate(entries, start=1):
        try:
            valid.append(model.model_validate(entry))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise error(
                f"{path}, {noun} n° {position} : champ « {where} » invalide ({first['msg']})."
            ) from err
    return valid
