"""Undo what publishing did to a PDF's text: running headers and footers, hyphenated line ends.

Works on the text pypdf extracted, page by page. A line near the top or the bottom of a page is a
running header or footer when the same line, numbers aside (« Texte 12 sur 150 », « 3/10 »,
« 16 septembre 2021 »), sits in that zone on at least half of the pages (two at least). Article,
annex and division headings, and lines ending like a sentence, are never removed. A word cut at
a line end (« profession- » / « nels ») is joined again, also across a page break; a compound
(« sous-section ») or a reference (« L. 4011- » / « 2 ») keeps its hyphen.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["clean_pdf_pages", "dehyphenate", "running_lines"]

# How many non-blank lines at each end of a page may be a header or a footer.
_ZONE = 4
_MIN_SHARE = 0.5
_NUMBER = re.compile(r"\d+")
_PROTECTED = re.compile(
    r"^\s*(?:#+\s*)?(?:article|art\.|annexe|partie|livre|titre|chapitre|section|sous-section)\b",
    re.IGNORECASE,
)
_LETTER = r"[^\W\d_]"
_LOWER_START = re.compile(r"^[a-zà-ÿœæ]")
# Words that end in a hyphen because they are the first half of a compound, not of a cut.
_COMPOUND_PREFIXES = frozenset(
    {
        "anti",
        "après",
        "arrière",
        "au",
        "aide",
        "auto",
        "avant",
        "bien",
        "c'est",
        "celle",
        "celles",
        "celui",
        "ceux",
        "contre",
        "demi",
        "dit",
        "entre",
        "est",
        "ex",
        "extra",
        "garde",
        "grand",
        "haut",
        "inter",
        "mi",
        "mini",
        "multi",
        "non",
        "peut",
        "porte",
        "post",
        "pré",
        "pro",
        "quasi",
        "sans",
        "semi",
        "sous",
        "sur",
        "super",
        "tout",
        "très",
        "vice",
        "vis",
    }
)
_CUT = re.compile(rf"(?P<word>[\w'’]*{_LETTER})-\n(?P<next>[a-zà-ÿœæ])")
_REFERENCE_CUT = re.compile(r"(?<=\d)-\n(?=\d)")
_FIRST_WORD = re.compile(r"^(?P<word>[\w'’-]+[.,;:]?)[ \t]*")


def clean_pdf_pages(pages: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Pages without their running headers and footers, words cut at line ends joined again."""
    running = running_lines([text for _, text in pages])
    cleaned = [
        (number, _drop_lines(text, drop))
        for (number, text), drop in zip(pages, running, strict=True)
    ]
    return _join_across_pages([(number, dehyphenate(text)) for number, text in cleaned])


def running_lines(pages: Sequence[str]) -> list[set[int]]:
    """For each page, the indices of its lines that are running headers or footers."""
    zones = [_zone(text.split("\n")) for text in pages]
    counts: Counter[str] = Counter()
    for lines, zone in zip((text.split("\n") for text in pages), zones, strict=True):
        counts.update({_key(lines[i]) for i in zone})
    threshold = max(2, math.ceil(_MIN_SHARE * len(pages)))
    found: list[set[int]] = []
    for text, zone in zip(pages, zones, strict=True):
        lines = text.split("\n")
        found.append(
            {i for i in zone if counts[_key(lines[i])] >= threshold and not _is_body(lines[i])}
        )
    return found


def dehyphenate(text: str) -> str:
    """Join words cut at line ends; keep the hyphen of compounds and of article references."""

    def join(match: re.Match[str]) -> str:
        word = match.group("word")
        last = re.split(r"['’]", word)[-1].lower()
        glue = "-" if last in _COMPOUND_PREFIXES or word.lower() in _COMPOUND_PREFIXES else ""
        return f"{word}{glue}{match.group('next')}"

    return _REFERENCE_CUT.sub("-", _CUT.sub(join, text))


def _is_body(line: str) -> bool:
    """Headings and punctuated sentences are text, even when they repeat numbers aside."""
    return bool(_PROTECTED.match(line)) or line.rstrip().endswith((".", ";", ":", ","))


def _zone(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:_ZONE]) | set(filled[-_ZONE:]))


def _key(line: str) -> str:
    return _NUMBER.sub("#", " ".join(line.split()).lower())


def _drop_lines(text: str, drop: set[int]) -> str:
    kept = [line for i, line in enumerate(text.split("\n")) if i not in drop]
    return "\n".join(kept).strip("\n")


def _join_across_pages(pages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Move the end of a word cut at the bottom of a page back onto that page."""
    joined = list(pages)
    for index in range(len(joined) - 1):
        number, text = joined[index]
        next_number, next_text = joined[index + 1]
        tail = re.search(rf"({_LETTER})-$", text.rstrip())
        first = _FIRST_WORD.match(next_text.lstrip())
        if tail is None or first is None or not _LOWER_START.match(first.group("word")):
            continue
        glued = dehyphenate(f"{text.rstrip()}\n{first.group('word')}")
        rest = next_text.lstrip()[first.end() :].lstrip("\n")
        joined[index] = (number, glued)
        joined[index + 1] = (next_number, rest)
    return joined
