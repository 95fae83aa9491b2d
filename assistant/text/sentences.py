"""The one sentence splitter: answer units of a passage (sentences, lists kept whole)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[«\"A-ZÀ-ÖØ-Ý0-9])")


_EDITORIAL = re.compile(r"^\s*\[[^\]]*\]\s*$")


_LIST_MARK = re.compile(
    r"^\s*(?:[-–•*\uf000-\uf8ff]|\d+°|[IVX]+(?:\.-?|-)|[A-Z]\.-|[a-z][).](?=\s)|\d+[.)-])\s*-?\s*"
)


# Sentences that only make sense after the previous one.
_ANAPHORA = (
    "Il ", "Elle ", "Ils ", "Elles ", "Celui-ci", "Celle-ci", "Ceux-ci", "Celles-ci", "Ces ",
    "Cette ", "Cet ", "Dans ce cas", "Dans ce délai", "À défaut", "A défaut", "Toutefois",
)  # fmt: skip


# A split after "L." / "art." / "n°" etc. is an abbreviation, not a sentence end.
_ABBREVIATION_END = re.compile(
    r"(?:\b[A-Z]|\bart|\bArt|\bn°|\bcf|\bp|\bal|\bnos?|\bProf|\bPr|\bDr|\bMme|\bMM)\.$"
)


_URL = re.compile(r"https?://\S+")


_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s")


_MIN_CHARS = 30


# A line ending on one of these words goes on at the next line, whatever its first letter.
_OPEN_ENDS = (
    " de", " des", " du", " la", " le", " les", " à", " au", " aux", " et", " ou", " en", " par",
    " pour", " sur", " un", " une", ",", "’",
)  # fmt: skip


_MAX_CHARS = 700

# How a list item that is not the last one ends.
_ITEM_GOES_ON = (";", ", et", ", ou", " et", " ou")


_MAX_LIST_CHARS = 700

# A sentence up to this many times the limit is kept whole rather than cut.
_LONG_SENTENCE = 1.6
# An introduction longer than this is repeated by its main clause only before a list's next part.
_LONG_INTRODUCTION = 200


def split_sentences(text: str) -> list[str]:
    """Answer units of a passage: sentences, and lists kept whole with their introduction.

    A sentence opening on a pronoun ("Il", "Celui-ci"…) stays with the one before it, and
    editorial notes and headings are left out.
    """
    units: list[str] = []
    lines = _logical_lines(text)
    lines = [
        line
        for at, line in enumerate(lines)
        if at + 1 == len(lines) or not _restated_heading(line, lines[at + 1])
    ]
    i = 0
    while i < len(lines):
        line = lines[i]
        items: list[str] = []
        while line.endswith(":") and i + 1 + len(items) < len(lines):
            candidate = lines[i + 1 + len(items)]
            # An item that introduces a list of its own starts a unit of its own.
            if not _LIST_MARK.match(candidate) or (items and candidate.endswith(":")):
                break
            items.append(_clean(candidate).rstrip(" ;.,"))
        if items:
            after = i + 1 + len(items)
            items, cut = _list_end(items, lines, after)
            units += _list_units(_clean(line), items, cut=cut)
            i = after
            continue
        if line.endswith(":") and i + 1 < len(lines) and not line.endswith("?:"):
            # A label whose value is on the next line ("Date de sélection :" / "début mai").
            value = _clean(lines[i + 1])
            if value and not _is_heading(value) and len(line) + len(value) < _MAX_CHARS:
                lines[i + 1] = f"{line} {value}"
                i += 1
                continue
        for sentence in sentence_pieces(line):
            cleaned = _clean(sentence)
            if units and cleaned.startswith(_ANAPHORA) and len(units[-1]) < _MAX_CHARS:
                units[-1] = _shorten(f"{units[-1]} {cleaned}", _MAX_CHARS + 200)
            elif len(cleaned) >= _MIN_CHARS and not _is_heading(cleaned):
                units.append(_shorten(cleaned, _MAX_CHARS))
        i += 1
    return units


_HEADING_CHARS = 150
_RESTATED_SHARE = 0.8
_WORD = re.compile(r"\w{3,}")


def _restated_heading(line: str, following: str) -> bool:
    """A heading (no closing punctuation) whose words the paragraph after it all says again.

    « Prise en charge de la cystite par les IDE » over « La CPTS a déployé le protocole pour
    la prise en charge de la cystite… par les IDE… »: the paragraph is the statement to quote.
    """
    if len(line) > _HEADING_CHARS or line.endswith((".", ";", ":", "!", "?", "…", "»", ")")):
        return False
    if _LIST_MARK.match(line) or _LIST_MARK.match(following):
        return False  # list items that share their words
    words = {w.lower() for w in _WORD.findall(line)}
    said = {w.lower() for w in _WORD.findall(following)}
    return len(words) >= 2 and len(words & said) >= _RESTATED_SHARE * len(words)


def _list_end(items: list[str], lines: list[str], after: int) -> tuple[list[str], bool]:
    """The items of a list that ends before ``lines[after]``, and whether it goes on unseen.

    A last item that ends on « ; » is followed by others the passage does not hold; a list
    interrupted by a sub-list goes on after it; a source excerpt may stop mid-word in it.
    """
    goes_on = after < len(lines) and _LIST_MARK.match(lines[after]) is not None
    cut = goes_on or (after == len(lines) and lines[after - 1].endswith(_ITEM_GOES_ON))
    trimmed = whole_words(items[-1])
    if trimmed is None:
        return items, cut
    return [*items[:-1], trimmed] if trimmed else items[:-1], True


def _list_units(introduction: str, items: list[str], *, cut: bool) -> list[str]:
    """A list as units of about ``_MAX_LIST_CHARS``, each opening on the list's introduction.

    « Ces indicateurs portent sur : A ; B ; […] » then « Ces indicateurs portent sur : […] C ;
    D. »: an item far down a long list is quoted with what it is an item of.
    """
    again = _introduction_again(introduction)
    groups: list[list[str]] = [[]]
    for item in items:
        opening = introduction if len(groups) == 1 else again
        size = len(opening) + sum(len(x) + 3 for x in groups[-1]) + len(item)
        if groups[-1] and size > _MAX_LIST_CHARS:
            groups.append([])
        groups[-1].append(item)
    units = []
    for number, group in enumerate(groups):
        end = " ; […]" if cut or number < len(groups) - 1 else "."
        opening = introduction if number == 0 else again
        units.append(_shorten(f"{opening} {' ; '.join(group)}{end}", _MAX_LIST_CHARS))
    return units


def _introduction_again(introduction: str) -> str:
    """What a later part of a list opens on: the introduction's last sentence, or its main clause.

    « A titre expérimental…, dans le ressort de…, l'infirmier qualifié… assure : » is too long to
    repeat before each part: « […] l'infirmier qualifié… assure : […] » says what the items are.
    """
    last = sentence_pieces(introduction)[-1]
    clause = last.rsplit(", ", 1)[-1]
    if len(last) > _LONG_INTRODUCTION and len(clause) >= _MIN_CHARS:
        return f"[…] {clause} […]"
    return f"{last} […]"


def starts_with_list_item(text: str) -> bool:
    """Whether ``text`` opens on a list item ("1° Le nombre…", "- le taux…")."""
    first = text.lstrip().split("\n", 1)[0]
    return bool(first) and _LIST_MARK.match(first) is not None


def only_list_items(text: str) -> bool:
    """Whether every line of ``text`` is a list item (a passage in the middle of a list)."""
    lines = _logical_lines(text)
    return bool(lines) and all(_LIST_MARK.match(line) for line in lines)


def list_goes_on(text: str) -> bool:
    """Whether ``text`` ends in a list it does not finish.

    Its last line introduces a list (« Ces indicateurs de suivi portent sur : ») or is an item
    that announces more (« 1° Le nombre de patients… ; »): the next passage holds the rest.
    """
    lines = _logical_lines(text)
    if not lines:
        return False
    last = lines[-1]
    if last.endswith(":"):
        return not last.endswith("?:")
    return _LIST_MARK.match(last) is not None and last.endswith(_ITEM_GOES_ON)


def leading_list_items(text: str) -> list[str]:
    """The list items ``text`` opens on, as written, up to its first line that is not one."""
    items: list[str] = []
    for line in _logical_lines(text):
        if not _LIST_MARK.match(line):
            break
        items.append(line)
    return items


def list_introduction(text: str) -> str | None:
    """The sentence that introduces the list ``text`` ends with ("… portent sur :"), if any.

    The list is the last lines of ``text``: the introduction is the last sentence of the line
    before them, ending with a colon.
    """
    lines = _logical_lines(text)
    items = 0
    while items < len(lines) and not lines[-1 - items].endswith(":"):
        if not _LIST_MARK.match(lines[-1 - items]):
            return None
        items += 1
    if items == len(lines):
        return None
    return sentence_pieces(_LIST_MARK.sub("", lines[-1 - items], count=1))[-1]


def ends_mid_sentence(text: str) -> bool:
    """Whether ``text`` stops on a word that needs a continuation ("… et en", "… des").

    Inside a passage such a line is joined to the next one; a unit ending so was cut by the
    end of its passage.
    """
    return text.rstrip().endswith(_OPEN_ENDS)


_CLAUSE_END = re.compile(r"[.;:!?)…](?=\s)")
# The last word of a source excerpt that stops in the middle of it (« au sein de la stru[…] »).
_CUT_MID_WORD = re.compile(r"\s+\S*[\w’']\[(?:…|\.\.\.)\]$")
_SENTENCE_STOP = re.compile(r"[.!?…](?=\s)")
# What is left of a cut unit must say something on its own.
_MIN_COMPLETE_CHARS = 60


def whole_words(text: str) -> str | None:
    """``text`` up to its last whole word when its source excerpt stops mid-word, else None.

    « … agréé ou au sein de la stru[…] » → « … agréé ou au sein »: the words left hanging
    (« de la ») go with the cut one.
    """
    kept, cut = _CUT_MID_WORD.subn("", text.rstrip())
    if not cut:
        return None
    while ends_mid_sentence(kept):
        trimmed = kept.rstrip(" ,’")
        kept = trimmed if trimmed != kept else kept.rsplit(" ", 1)[0]
    return kept


def complete_part(text: str) -> str | None:
    """``text``, or what precedes its last clause when the end of a passage cut it.

    « La liste est publiée selon la thématique (plaies, gynécologie…) : Les protocoles
    nationaux - Ministère de la » keeps its statement up to the colon (« … gynécologie…) […] »);
    a cut unit with no complete clause of some length before the cut is None. A unit whose
    source excerpt stops mid-word keeps its whole words (« … agréé ou au sein […] »).
    """
    kept = whole_words(text)
    if kept is not None:
        return f"{kept} […]" if len(kept) >= _MIN_COMPLETE_CHARS else None
    if text.rstrip().endswith(":"):
        # An introduction whose list or value the passage does not hold: the sentences
        # before it, if any.
        ends = [m.end() for m in _SENTENCE_STOP.finditer(text)]
        kept = text[: ends[-1]].rstrip() if ends else ""
        return kept if len(kept) >= _MIN_COMPLETE_CHARS else None
    if not ends_mid_sentence(text):
        return text
    ends = [m.end() for m in _CLAUSE_END.finditer(text)]
    if not ends:
        return None
    kept = text[: ends[-1]].rstrip(" :;,")
    if len(kept) < _MIN_COMPLETE_CHARS or _is_heading(kept):
        return None
    # Verbatim up to the cut; a statement that went on is marked as cut, like a shortened list.
    return kept if kept.endswith((".", "!", "?", "…")) else f"{kept} […]"


def quoted_units(text: str) -> list[tuple[int, str]]:
    """The answer units of a passage as they are quoted, with their place among its units.

    Each unit is what ``complete_part`` keeps of it; a cut unit with nothing complete left is
    dropped. Sentence choice and the unit vectors stored at ingestion both read this.
    """
    return [
        (position, quoted)
        for position, unit in enumerate(split_sentences(text))
        if (quoted := complete_part(unit))
    ]


def sentence_pieces(line: str) -> list[str]:
    """The sentences of one line of text, as written (no cleaning, nothing dropped)."""
    return [
        part.strip() for part in _merge_abbreviations(_SENTENCE_END.split(line)) if part.strip()
    ]


def _clean(text: str) -> str:
    return _LIST_MARK.sub("", _URL.sub("", text)).strip()


def _logical_lines(text: str) -> list[str]:
    """Stripped, non-empty lines, re-joined where a PDF or a web page broke a sentence.

    A line goes on at the next one when it is unfinished (no closing punctuation) and the next
    one opens in lower case, on a digit or a parenthesis, or when it ends on a word that needs a
    continuation ("de", "et"…), or when it fills the page's width (a PDF wrapped it there, even
    before a capitalised word: « Comité National des Coopérations / Interprofessionnelles »).
    """
    raw_lines = [raw.strip() for raw in text.split("\n")]
    width = _wrap_width(raw_lines)
    lines: list[str] = []
    hard_break = False
    last_raw = ""
    for line in raw_lines:
        if _EDITORIAL.match(line) or _MARKDOWN_HEADING.match(line):
            hard_break = True
            continue
        if not line:
            continue
        previous = lines[-1] if lines else ""
        unfinished = previous and not previous.endswith((".", ";", ":", "!", "?"))
        wrapped = width is not None and len(last_raw) >= _FULL_LINE * width
        goes_on = not _LIST_MARK.match(line) and (
            line[0].islower()
            or line[0].isdigit()
            or line[0] == "("
            or previous.endswith(_OPEN_ENDS)
            or (wrapped and not _is_heading(line))
        )
        if unfinished and not hard_break and goes_on:
            lines[-1] = f"{previous} {line}"
        else:
            lines.append(line)
        hard_break = False
        last_raw = line
    return lines


# A PDF wraps its lines at a fixed width: a line this close to it was wrapped, not ended.
_FULL_LINE = 0.85
_WRAP_WIDTHS = (60, 140)


def _wrap_width(lines: list[str]) -> int | None:
    """The width at which the text's lines were wrapped, or None when they were not.

    The length of the longest lines (the upper quartile), when at least eight lines are in the
    range of a printed page's width; a web page's paragraphs are longer and uneven.
    """
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 8:
        return None
    width = lengths[(3 * len(lengths)) // 4]
    low, high = _WRAP_WIDTHS
    return width if low <= width <= high else None


def _merge_abbreviations(parts: list[str]) -> list[str]:
    merged: list[str] = []
    for part in parts:
        if merged and _ABBREVIATION_END.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def _is_heading(text: str) -> bool:
    """Titles, questions used as titles and label lines are not answers."""
    if text.endswith(("?", ":")) or text.endswith("!") and len(text) < 80:
        return True
    label, colon, value = text.partition(":")
    if colon and len(label) < 25 and len(value.split()) < 3:
        return True  # "Contact : ARS" is a label, "Objet : le comité …" says something
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > 0.8 * len(letters):
        return True
    return text.lower().startswith(("article ", "art. ", "annexe")) and len(text) < 60


def _shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut where a statement ends, never inside one.

    A list is cut after its last whole item (« … ; […] »); a long sentence is kept whole up to
    ``_LONG_SENTENCE`` × ``limit``; beyond, it is cut after its last clause (« , » « : »).
    """
    if len(text) <= limit:
        return text
    items_end = text[:limit].rfind(" ; ")
    if items_end >= limit // 2:
        return text[:items_end] + " ; […]"
    if len(text) <= _LONG_SENTENCE * limit:
        return text
    head = text[:limit]
    clause_end = max(head.rfind(", "), head.rfind(": "))
    cut = clause_end if clause_end >= limit // 2 else head.rfind(" ")
    return text[:cut] + " […]"
