"""Authority of sources in answers: sort key, tie-break bonus, and divergence notes.

The levels themselves (hierarchy of norms, badges) live in ``assistant.hierarchy``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.hierarchy import LOWEST_LEVEL, Authority, authority_of
from assistant.schema import Chunk, Citation, is_in_force
from assistant.text.dates import FOLDED_MONTHS_PATTERN
from assistant.text.normalize import fold_accents, tokenize_fr

__all__ = [
    "LOWEST_LEVEL",
    "Authority",
    "Divergence",
    "authority_bonus",
    "authority_of",
    "authority_sort_key",
    "divergence_notes",
    "find_divergences",
]


_NO_BONUS_LEVEL = 7  # historical narratives and the press get no authority bonus


def authority_sort_key(chunk: Chunk) -> tuple[bool, int]:
    """Sort key putting texts in force first, then the highest authority first."""
    return (not is_in_force(chunk.status), authority_of(chunk.kind, chunk.section).level)


def authority_bonus(chunk: Chunk, weight: float = 0.03) -> float:
    """Small score bonus for higher authorities: a tie-break between comparable passages.

    ``weight`` for a law in force, decreasing linearly to 0 for the lowest level; 0 for texts no
    longer in force. Keep ``weight`` below the gaps that relevance scores usually show (a few
    hundredths), so that authority never overrides relevance wholesale.
    """
    if not is_in_force(chunk.status):
        return 0.0
    level = authority_of(chunk.kind, chunk.section).level
    return weight * max(0, _NO_BONUS_LEVEL - level) / (_NO_BONUS_LEVEL - 1)


# -- divergences between sources ------------------------------------------------------------------

# Figures that two sources can disagree on: dates, durations, counts, amounts, article numbers.
_FIGURE = re.compile(
    rf"\b\d{{1,2}}(?:er)?\s+(?:{FOLDED_MONTHS_PATTERN})\s+\d{{4}}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b\d+(?:[.,]\d+)?\s*(?:jours?|mois|ans|annees?|semaines?|heures?|%|euros?|€)"
    r"|\b(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|trente)\s+"
    r"(?:jours?|mois|ans|annees?|semaines?)\b"
    r"|\b(?:19|20)\d{2}\b(?!-)"
)
# Sentences must share this share of their content words to be "about the same thing".
_MIN_SHARED = 0.5
_MIN_TOKENS = 4


@dataclass(frozen=True, slots=True)
class Divergence:
    """Two cited sources of different authority giving different figures for the same thing."""

    higher: Citation
    lower: Citation
    higher_figures: tuple[str, ...]
    lower_figures: tuple[str, ...]


def _figures(sentence: str) -> tuple[str, ...]:
    folded = fold_accents(sentence)
    return tuple(dict.fromkeys(" ".join(m.group(0).split()) for m in _FIGURE.finditer(folded)))


def _content(sentence: str) -> set[str]:
    """Content words of a sentence, figures left out (they are what may differ)."""
    return {t for t in tokenize_fr(sentence) if not any(ch.isdigit() for ch in t)}


def _similar(a: set[str], b: set[str]) -> bool:
    if len(a) < _MIN_TOKENS or len(b) < _MIN_TOKENS:
        return False
    return len(a & b) / min(len(a), len(b)) >= _MIN_SHARED


def _sentences(text: str) -> list[str]:
    from assistant.text.sentences import split_sentences  # the extractive module imports this one

    return split_sentences(text) or [text]


def find_divergences(citations: Sequence[Citation]) -> list[Divergence]:
    """Cited sources of different authority that state different figures for the same thing.

    Figures are dates, durations, counts and amounts. Conservative on purpose: both sentences
    must share at least half of their content words, both must state figures, and the figure
    sets must differ. The higher source comes first.
    """
    quoted = [
        (citation, sentence, _figures(sentence), _content(sentence))
        for citation in citations
        for sentence in _sentences(citation.quote)
    ]
    found: list[Divergence] = []
    seen: set[tuple[int, int]] = set()
    for i, (cit_a, _, fig_a, words_a) in enumerate(quoted):
        for cit_b, _, fig_b, words_b in quoted[i + 1 :]:
            level_a = authority_of(cit_a.kind, cit_a.section).level
            level_b = authority_of(cit_b.kind, cit_b.section).level
            if level_a == level_b or cit_a.doc_id == cit_b.doc_id:
                continue
            if not fig_a or not fig_b or set(fig_a) == set(fig_b):
                continue
            if not _similar(words_a, words_b):
                continue
            higher, lower = (cit_a, cit_b) if level_a < level_b else (cit_b, cit_a)
            pair = (higher.n, lower.n)
            if pair in seen:
                continue
            seen.add(pair)
            high_fig, low_fig = (fig_a, fig_b) if higher is cit_a else (fig_b, fig_a)
            found.append(Divergence(higher, lower, high_fig, low_fig))
    return found


def divergence_notes(citations: Sequence[Citation]) -> list[str]:
    """French notes, one per divergence: the higher source is named first and prevails."""
    notes = []
    for item in find_divergences(citations):
        high = authority_of(item.higher.kind, item.higher.section)
        low = authority_of(item.lower.kind, item.lower.section)
        notes.append(
            f"Les sources [{item.higher.n}] ({high.tier}) et [{item.lower.n}] ({low.tier}) ne "
            f"donnent pas les mêmes chiffres ou dates ({', '.join(item.higher_figures)} contre "
            f"{', '.join(item.lower_figures)}) : le texte de rang supérieur, [{item.higher.n}], "
            "prévaut ; vérifiez la version en vigueur."
        )
    return notes
