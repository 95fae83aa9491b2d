"""Which answers a corpus change touched, and what they say now.

An evaluation answer is touched when a passage its citations quote is no longer in the index
as it was: the document is gone, or the passage's text changed (its content hash is not among
the document's passages any more). Feedback rows keep only the cited sources' labels and links,
so a chat answer is touched when it cites a document that the last sync changed or removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.answer.answering import Assistant
from assistant.index.store import ChromaStore
from assistant.present.feedback import FeedbackRecord
from assistant.schema import Message
from evals.cases import EvalCase
from evals.metrics import ItemResult, answer_sha256
from evals.runs import SavedRun
from ingest.split.diff import CorpusDiff

FEEDBACK_ORIGIN = "avis du chat"

_URL = re.compile(r"<(\S+)>\s*$")


TEXT_NOT_KEPT = "(texte non conservé : la référence commitée ne garde aucun texte du corpus)"


@dataclass(frozen=True, slots=True)
class ImpactedQuestion:
    """A question whose last answer cited a passage that changed or disappeared."""

    origin: str
    id: str
    question: str
    reasons: list[str]
    old_answer: str
    old_citations: list[str]
    old_refused: bool
    history: list[str] = field(default_factory=list)
    old_fingerprint: str = ""
    """Hash of the old answer (its only trace in a baseline committed without corpus text)."""


@dataclass(frozen=True, slots=True)
class Reasked:
    """An impacted question with the answer the current index gives."""

    impacted: ImpactedQuestion
    answer: str
    citations: list[str]
    refused: bool

    @property
    def changed(self) -> bool:
        """Whether the new answer differs from the old one."""
        old = self.impacted.old_fingerprint or answer_sha256(self.impacted.old_answer)
        return answer_sha256(self.answer) != old


def indexed_passages(store: ChromaStore) -> dict[str, set[str]]:
    """Doc id → content hashes of its passages in the index as served now."""
    passages: dict[str, set[str]] = {}
    for chunk in store.iter_chunks():
        passages.setdefault(chunk.doc_id, set()).add(chunk.content_hash)
    return passages


def passage_changes(item: ItemResult, indexed: Mapping[str, set[str]]) -> list[str]:
    """French reasons, one per cited passage that is gone or reworded (empty: untouched)."""
    reasons = []
    for passage in item.passages:
        where = f"[{passage.n}] {passage.doc_id}" + (
            f", {passage.section}" if passage.section else ""
        )
        if passage.doc_id not in indexed:
            reasons.append(f"{where} : document retiré de l'index")
        elif passage.content_hash not in indexed[passage.doc_id]:
            reasons.append(f"{where} : passage modifié ou disparu")
    return reasons


def latest_items(runs: Iterable[SavedRun]) -> dict[tuple[str, str], ItemResult]:
    """(question file, id) → the item of the most recent run that answered it."""
    latest: dict[tuple[str, str], ItemResult] = {}
    for run in sorted(runs, key=lambda saved: saved.meta.created_at):
        for item in run.items:
            latest[(run.meta.questions, item.id)] = item
    return latest


def impacted_eval_questions(
    runs: Iterable[SavedRun],
    indexed: Mapping[str, set[str]],
    histories: Mapping[tuple[str, str], list[str]] | None = None,
) -> list[ImpactedQuestion]:
    """The evaluation questions whose last saved answer cites a changed or vanished passage."""
    impacted = []
    for (questions, item_id), item in latest_items(runs).items():
        reasons = passage_changes(item, indexed)
        if reasons:
            impacted.append(
                ImpactedQuestion(
                    origin=Path(questions).name or "évaluation",
                    id=item_id,
                    question=item.question,
                    reasons=reasons,
                    old_answer=item.answer or TEXT_NOT_KEPT,
                    old_fingerprint=item.answer_fingerprint,
                    old_citations=list(item.citations),
                    old_refused=item.refused,
                    history=list((histories or {}).get((questions, item_id), [])),
                )
            )
    return impacted


def changed_documents(diff: CorpusDiff, indexed: Mapping[str, set[str]]) -> dict[str, str]:
    """Doc id → French reason, for documents the last sync changed or removed."""
    changed = {}
    for document in diff.documents:
        if document.change == "removed" or document.doc_id not in indexed:
            changed[document.doc_id] = "document retiré"
        elif document.change == "changed":
            articles = [a.section or a.article for a in document.articles][:4]
            changed[document.doc_id] = "document modifié" + (
                f" ({', '.join(articles)})" if articles else ""
            )
    return changed


def impacted_feedback(
    records: Sequence[FeedbackRecord], changed: Mapping[str, str], url_to_doc: Mapping[str, str]
) -> list[ImpactedQuestion]:
    """The chat questions whose last answer with feedback cites a changed or removed document."""
    latest: dict[str, FeedbackRecord] = {}
    for record in records:
        latest[" ".join(record.question.lower().split())] = record
    impacted = []
    for record in latest.values():
        reasons = []
        for citation in record.citations:
            match = _URL.search(citation)
            doc_id = url_to_doc.get(match.group(1), "") if match else ""
            if doc_id in changed:
                reasons.append(f"{citation.split(' <')[0]} : {changed[doc_id]}")
        if reasons:
            impacted.append(
                ImpactedQuestion(
                    origin=FEEDBACK_ORIGIN,
                    id=f"avis-{record.id}",
                    question=record.question,
                    reasons=reasons,
                    old_answer=record.answer,
                    old_citations=list(record.citations),
                    old_refused=record.refused,
                )
            )
    return impacted


def case_histories(
    runs: Iterable[SavedRun], load: Callable[[Path], list[EvalCase]]
) -> dict[tuple[str, str], list[str]]:
    """(question file, id) → conversation history, from the question files that still exist."""
    histories: dict[tuple[str, str], list[str]] = {}
    for questions in {run.meta.questions for run in runs if run.meta.questions}:
        if Path(questions).is_file():
            for case in load(Path(questions)):
                histories[(questions, case.id)] = list(case.history)
    return histories


def reask(
    assistant: Assistant,
    impacted: Sequence[ImpactedQuestion],
    *,
    k: int,
    on_answer: Callable[[Reasked], None] | None = None,
) -> list[Reasked]:
    """Ask every impacted question again through ``Assistant.ask`` (the app's code path)."""
    answers = []
    for question in impacted:
        history = [Message("user", turn) for turn in question.history]
        answer = assistant.ask(question.question, history, k=k)
        again = Reasked(question, answer.text, [c.doc_id for c in answer.citations], answer.refused)
        answers.append(again)
        if on_answer:
            on_answer(again)
    return answers
