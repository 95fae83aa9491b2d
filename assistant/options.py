"""Checks of the search options a user types (CLI flags, chat controls): French errors.

Plain functions, no UI: ``coop ask``/``coop eval`` and the chat call the same ones, so a value
refused in one is refused in the other with the same message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from assistant.config import K_MAX
from assistant.errors import OptionError

__all__ = ["K_MAX", "check_doc", "check_k", "check_kind", "parse_since"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_k(k: int) -> int:
    """``k`` itself when it is a usable number of passages (1 to ``K_MAX``).

    Raises:
        OptionError: ``k`` is below 1 or above ``K_MAX``.
    """
    if not 1 <= k <= K_MAX:
        raise OptionError(
            f"Nombre de passages (k) = {k} : choisissez un nombre entier entre 1 et {K_MAX}."
        )
    return k


def parse_since(text: str) -> date:
    """The date of ``text``, written AAAA-MM-JJ (ISO 8601, e.g. 2024-02-01).

    Raises:
        OptionError: another format (01/02/2024, « hier »…) or a date that does not exist.
    """
    value = text.strip()
    if not _ISO_DATE.fullmatch(value):
        raise OptionError(
            f"Date « {text} » : format attendu AAAA-MM-JJ (par exemple 2024-02-01 pour le "
            "1er février 2024)."
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OptionError(
            f"Date « {text} » : ce jour n'existe pas (mois de 01 à 12, jour valide pour ce mois)."
        ) from None


def check_doc(doc_id: str, known_docs: Iterable[str]) -> str:
    """``doc_id`` when it names an indexed document.

    Raises:
        OptionError: « document inconnu », with the identifiers that exist.
    """
    return _check_known(doc_id, known_docs, "Document", "Documents indexés")


def check_kind(kind: str, known_kinds: Iterable[str]) -> str:
    """``kind`` when it is the type of at least one indexed document.

    Raises:
        OptionError: « type inconnu », with the types that exist.
    """
    return _check_known(kind, known_kinds, "Type", "Types indexés")


def _check_known(value: str, known: Iterable[str], what: str, listed: str) -> str:
    valid = sorted(set(known))
    if value in valid:
        return value
    choices = ", ".join(valid) if valid else "aucun (lancez `coop ingest`)"
    raise OptionError(f"{what} inconnu : « {value} ». {listed} : {choices}.")
