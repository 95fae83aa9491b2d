"""Turn an Answer into text for people (terminal, Markdown export) and JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

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
