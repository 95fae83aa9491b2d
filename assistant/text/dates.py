"""Dates shown to users, in French."""

from __future__ import annotations

from datetime import date, datetime

FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
"""The months in French, January first (the one list of the project)."""
ENGLISH_MONTHS = dict(
    zip(
        (
            "january", "february", "march", "april", "may", "june",
            "july", "august", "september", "october", "november", "december",
        ),
        FRENCH_MONTHS,
        strict=True,
    )
)  # fmt: skip
"""English month name → the French one (an English question dates things in English)."""
FOLDED_MONTHS_PATTERN = "|".join(m.replace("é", "e").replace("û", "u") for m in FRENCH_MONTHS)
"""Regex alternation of the months without accents, for text folded by ``fold_accents``."""


def french_date(iso: str) -> str:
    """'2023-05-21' → '21/05/2023'; an ISO timestamp gets its time (UTC); other text unchanged."""
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if "T" in iso:
        return parsed.strftime("%d/%m/%Y à %H:%M") + (" (UTC)" if parsed.tzinfo else "")
    return parsed.strftime("%d/%m/%Y")


def long_french_date(iso: str) -> str:
    """'2025-09-10' → '10 septembre 2025' ('1er' for the first day); other text unchanged."""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {FRENCH_MONTHS[day.month - 1]} {day.year}"
