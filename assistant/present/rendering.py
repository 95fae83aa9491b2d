"""Turn an Answer into text for people (terminal, Markdown export) and JSON for machines."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import quote, urlparse

from assistant.answer.authority import authority_of
from assistant.answer.checklist import Checklist
from assistant.hierarchy import origin_label
from assistant.schema import Answer, Citation
from assistant.text.sentences import split_sentences

KIND_LABELS = {
    "code": "Code",
    "loi": "Loi",
    "decret": "Décret",
    "arrete": "Arrêté",
    "instruction": "Instruction",
    "faq": "FAQ ministère",
    "ami": "Appel à manifestation d'intérêt",
    "communique": "Communiqué",
    "page-ars": "Page ARS",
    "page": "Page web",
    "presentation": "Présentation",
    "historique": "Historique",
    "presse": "Presse (source non officielle)",
}


def citation_location(citation: Citation) -> str:
    """'Article L. 4011-3, p. 2' style location of a citation (empty parts left out)."""
    parts = [citation.section] if citation.section else []
    if citation.page:
        parts.append(f"p. {citation.page}")
    return ", ".join(parts)


def citation_label(citation: Citation, escape: Callable[[str], str] = str) -> str:
    """One line naming the source: kind, title, location, date and status.

    ``escape`` is applied to what comes from the catalogue and the documents (title, location,
    date, status), never to the label's own brackets.
    """
    kind = KIND_LABELS.get(citation.kind, citation.kind)
    line = f"[{citation.n}] {kind + ' — ' if kind else ''}{escape(citation.title)}"
    location = citation_location(citation)
    if location:
        line += f" — {escape(location)}"
    if citation.date:
        line += f" ({escape(citation.date)})"
    if citation.status.lower().startswith(("historique", "clos")):
        line += f" [{escape(citation.status)}]"
    if origin := origin_label(citation.origin):
        line += f" · {origin}"
    return line


def authority_badge(citation: Citation) -> str:
    """The citation's rank in the hierarchy of norms ("niveau 1 · loi ou code")."""
    return authority_of(citation.kind, citation.section).badge


def _sources_text(citations: Sequence[Citation]) -> list[str]:
    lines = ["", "Sources :"]
    for citation in citations:
        lines.append(f"{citation_label(citation)} [{authority_badge(citation)}]")
        if citation.quote:
            lines.append(f"    « {citation.quote} »")
        if citation.url:
            lines.append(f"    {citation.url}")
    return lines


def answer_to_text(answer: Answer) -> str:
    """Plain-text rendering: answer, notes, then each numbered source with badge, quote, link."""
    lines = [answer.text]
    if answer.notice:
        lines += ["", f"Remarque : {answer.notice}"]
    for note in answer.divergences:
        lines += ["", f"Divergence entre sources : {note}"]
    if answer.citations:
        lines += _sources_text(answer.citations)
    return "\n".join(lines)


def answer_to_markdown(answer: Answer) -> str:
    """Markdown for exports: question, answer and sources with links.

    Everything that comes from the user or the documents is escaped (no HTML, link or image can
    be formed; the answer's own ``[n]`` markers stay readable) and only http(s) links are kept.
    """
    lines = [f"**Question :** {escape_for_export(answer.question)}", ""]
    lines.append(escape_for_export(answer.text))
    if answer.notice:
        lines += ["", f"> {escape_for_export(answer.notice)}"]
    for note in answer.divergences:
        lines += ["", f"> Divergence entre sources : {escape_for_export(note)}"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
        for citation in answer.citations:
            label = f"{citation_label(citation, escape_for_export)} [{authority_badge(citation)}]"
            url = safe_url(citation.url or "")
            lines.append(f"- {label}" + (f" — <{url}>" if url else ""))
            if citation.quote:
                lines.append(f"  > « {escape_for_export(citation.quote)} »")
    return "\n".join(lines)


def escape_for_export(text: str) -> str:
    """Text kept readable in an e-mail yet inert as Markdown: no HTML, link, image or heading.

    Lighter than ``escape_markdown`` (a pasted export stays legible): only the characters that
    open markup are escaped, and the answer's own citation markers (``[2]``) are kept as they
    are — documents' markers were removed when the answer was composed.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_escape_export_line(line) for line in lines)


def _escape_export_line(line: str) -> str:
    parts = _MARKER_SPLIT.split(line)
    escaped = [
        part if i % 2 else "".join("\\" + ch if ch in _EXPORT_SPECIAL else ch for ch in part)
        for i, part in enumerate(parts)
    ]
    joined = "".join(escaped)
    return "\\" + joined if joined.startswith(("#", ">", "=")) else joined


def _citation_dict(citation: Citation) -> dict[str, Any]:
    authority = authority_of(citation.kind, citation.section)
    return asdict(citation) | {
        "authority_level": authority.level,
        "authority_badge": authority.badge,
    }


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """JSON-ready structure of the answer (passages summarised, not their full metadata)."""
    data = asdict(answer)
    data["citations"] = [_citation_dict(c) for c in answer.citations]
    data.pop("checklist")  # rendered by checklist_to_dict where there is one
    data["passages"] = [
        {
            "doc_id": hit.chunk.doc_id,
            "section": hit.chunk.section,
            "page": hit.chunk.page,
            "score": round(hit.score, 5),
            "dense_score": None if hit.dense_score is None else round(hit.dense_score, 4),
            "exact_reference": hit.exact_reference,
            "text": hit.chunk.text,
        }
        for hit in answer.passages
    ]
    return data


def answer_to_json(answer: Answer, checklist: Checklist | None = None) -> str:
    """The structured answer as indented JSON (UTF-8, accents kept), with its checklist if any."""
    data = answer_to_dict(answer)
    checklist = checklist or answer.checklist
    if checklist is not None:
        data["checklist"] = checklist_to_dict(checklist)
    return json.dumps(data, ensure_ascii=False, indent=2)


# -- checklists -----------------------------------------------------------------------------------


def checklist_citations(checklist: Checklist) -> list[Citation]:
    """The citations that the checklist's items refer to, in number order."""
    used = {item.n for section in checklist.sections for item in section.items}
    return [c for c in checklist.citations if c.n in used]


def checklist_to_text(checklist: Checklist) -> str:
    """Plain-text checklist: one block per category, "[ ] item [n]", then notes and sources."""
    lines = [f"Liste de vérification : {checklist.question}"]
    for section in checklist.sections:
        lines += ["", f"{section.title} :"]
        for item in section.items:
            lines.append(f"  [ ] {item.text} [{item.n}]")
            lines += [f"        - {detail}" for detail in item.details]
    if checklist.notes:
        lines += ["", *(f"Remarque : {note}" for note in checklist.notes)]
    citations = checklist_citations(checklist)
    if citations:
        lines += _sources_text(citations)
    return "\n".join(lines)


def checklist_to_dict(checklist: Checklist) -> dict[str, Any]:
    """JSON-ready checklist: sections with their items, notes and the cited sources."""
    return {
        "question": checklist.question,
        "sections": [
            {
                "category": section.category,
                "title": section.title,
                "items": [asdict(item) for item in section.items],
            }
            for section in checklist.sections
        ],
        "notes": checklist.notes,
        "citations": [_citation_dict(c) for c in checklist_citations(checklist)],
    }


# -- Markdown for the chat: document text is data, never markup ---------------------------------

_MARKDOWN_SPECIAL = frozenset(string.punctuation)


_EXPORT_SPECIAL = frozenset("\\`*_[]<>!$|~{}")
_MARKER_SPLIT = re.compile(r"(\[\d+(?:\s*[,;]\s*\d+)*\])")


def escape_markdown(text: str) -> str:
    """Text shown literally by a Markdown renderer (Streamlit included): no HTML, link or LaTeX.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows it for all of
    them), which also disables Streamlit's ``:color[…]`` directives, emoji codes and ``$`` math.
    Leading spaces are dropped so that an indented line never becomes a code block.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_escape_inline(line.lstrip()) for line in lines)


def _escape_inline(text: str) -> str:
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def safe_url(url: str) -> str:
    """The URL if it is an absolute http(s) link, else '' (never a javascript: or data: link)."""
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        return ""
    # Percent-encode what could end the Markdown link target or inject markup.
    return quote(url, safe=":/?#[]@!&'*+,;=%-._~")


def link_markdown(label: str, url: str) -> str:
    """A Markdown link to an official http(s) page, or '' when the URL is not one."""
    target = safe_url(url)
    return f"[{escape_markdown(label)}](<{target}>)" if target else ""


def highlight_markdown(passage: str, quote: str, *, style: str = "yellow-background") -> str:
    """The escaped passage with each sentence of ``quote`` found in it highlighted.

    Sentences are matched whitespace-insensitively; a shortened sentence (ending in "[…]") is
    matched by its beginning. When nothing matches, the quote alone is returned highlighted.
    """
    flat = " ".join(passage.split())
    spans = _quote_spans(flat, quote)
    if not spans:
        if not quote.strip():
            return escape_markdown(flat)
        return f":{style}[{escape_markdown(' '.join(quote.split()))}]"
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        parts.append(_escape_inline(flat[cursor:start]))
        parts.append(f":{style}[{_escape_inline(flat[start:end])}]")
        cursor = end
    parts.append(_escape_inline(flat[cursor:]))
    return "".join(parts)


def _quote_spans(flat: str, quote: str) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of the quote's sentences inside ``flat``, in text order."""
    spans: list[tuple[int, int]] = []
    for sentence in split_sentences(quote) or [quote]:
        needle = " ".join(sentence.removesuffix(" […]").split())
        if len(needle) < 3:
            continue
        start = flat.find(needle)
        if start >= 0 and not any(s < start + len(needle) and start < e for s, e in spans):
            spans.append((start, start + len(needle)))
    return sorted(spans)


def conversation_to_markdown(answers: Sequence[Answer], *, exported_at: str = "") -> str:
    """A whole conversation as Markdown, each answer followed by its sources (for an e-mail)."""
    lines = ["# Conversation avec l'assistant « protocoles de coopération »", ""]
    if exported_at:
        lines += [f"Exportée le {exported_at}.", ""]
    for number, answer in enumerate(answers, 1):
        lines += [f"## Question {number}", "", answer_to_markdown(answer), ""]
    lines.append(
        "_Réponses composées à partir des textes cités ; seuls les textes officiels font foi._"
    )
    return "\n".join(lines) + "\n"
