"""Turn an Answer into text for people (terminal, Markdown export) and JSON for machines."""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import quote, urlparse

from assistant.extractive import split_sentences
from assistant.schema import Answer, Citation

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
}


def citation_location(citation: Citation) -> str:
    """'Article L. 4011-3, p. 2' style location of a citation (empty parts left out)."""
    parts = [citation.section] if citation.section else []
    if citation.page:
        parts.append(f"p. {citation.page}")
    return ", ".join(parts)


def citation_label(citation: Citation) -> str:
    """One line naming the source: kind, title, location, date and status."""
    kind = KIND_LABELS.get(citation.kind, citation.kind)
    line = f"[{citation.n}] {kind + ' — ' if kind else ''}{citation.title}"
    location = citation_location(citation)
    if location:
        line += f" — {location}"
    if citation.date:
        line += f" ({citation.date})"
    if citation.status.lower().startswith(("historique", "clos")):
        line += f" [{citation.status}]"
    return line


def answer_to_text(answer: Answer) -> str:
    """Plain-text rendering: answer, notice, then each numbered source with quote and link."""
    lines = [answer.text]
    if answer.notice:
        lines += ["", f"Remarque : {answer.notice}"]
    if answer.citations:
        lines += ["", "Sources :"]
        for citation in answer.citations:
            lines.append(citation_label(citation))
            if citation.quote:
                lines.append(f"    « {citation.quote} »")
            if citation.url:
                lines.append(f"    {citation.url}")
    return "\n".join(lines)


def answer_to_markdown(answer: Answer) -> str:
    """Markdown for exports: question, answer and sources with links."""
    lines = [f"**Question :** {answer.question}", "", answer.text]
    if answer.notice:
        lines += ["", f"> {answer.notice}"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
        for citation in answer.citations:
            label = citation_label(citation)
            lines.append(f"- {label}" + (f" — <{citation.url}>" if citation.url else ""))
            if citation.quote:
                lines.append(f"  > « {citation.quote} »")
    return "\n".join(lines)


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """JSON-ready structure of the answer (passages summarised, not their full metadata)."""
    data = asdict(answer)
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


def answer_to_json(answer: Answer) -> str:
    """The structured answer as indented JSON (UTF-8, accents kept)."""
    return json.dumps(answer_to_dict(answer), ensure_ascii=False, indent=2)


# -- Markdown for the chat: document text is data, never markup ---------------------------------

_MARKDOWN_SPECIAL = frozenset(string.punctuation)


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


def highlight_markdown(passage: str, quote: str, *, style: str = "orange-background") -> str:
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
