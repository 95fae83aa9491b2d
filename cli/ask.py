"""``coop ask``: one question, its answer and numbered sources (text, JSON or checklist)."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.options import check_doc, check_k, check_kind, parse_since
from cli.common import BackendOption, RetrieverOption, settings

KOption = Annotated[int | None, typer.Option("--k", help="Nombre de passages retrouvés (1 à 50).")]


def ask(
    question: Annotated[str, typer.Argument(help="La question, en français.")],
    as_json: Annotated[bool, typer.Option("--json", help="Réponse structurée en JSON.")] = False,
    k: KOption = None,
    backend: BackendOption = None,
    retriever: RetrieverOption = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Limiter à ce type de document (répétable).")
    ] = None,
    doc: Annotated[list[str] | None, typer.Option(help="Limiter à ce document (doc_id).")] = None,
    in_force: Annotated[
        bool, typer.Option("--en-vigueur", help="Textes en vigueur uniquement.")
    ] = False,
    since: Annotated[str, typer.Option(help="Textes datés de ce jour ou après (AAAA-MM-JJ).")] = "",
    history: Annotated[
        list[str] | None,
        typer.Option(
            "--history",
            help="Question précédente de la conversation (répétable, dans l'ordre) : elle est "
            "reposée, et la réponse ne redit pas ce qui y a déjà été répondu.",
        ),
    ] = None,
    checklist: Annotated[
        bool,
        typer.Option(
            "--checklist",
            help="Liste de vérification : conditions, pièces, étapes, délais, chacun cité.",
        ),
    ] = False,
) -> None:
    """Pose une question et affiche la réponse avec ses sources numérotées."""
    from assistant.answer.checklist import build_checklist
    from assistant.factory import build_assistant
    from assistant.present.rendering import answer_to_json, answer_to_text, checklist_to_text
    from assistant.retrieve.hybrid import SearchFilters

    config = settings()
    # Checked before anything is loaded: a typo costs no model loading.
    if k is not None:
        check_k(k)
    since_day = parse_since(since).isoformat() if since.strip() else ""
    assistant = build_assistant(config, backend=backend, retriever=retriever)
    indexed = assistant.retriever.store.documents()
    kinds = tuple(check_kind(name, {r.kind for r in indexed.values()}) for name in kind or ())
    doc_ids = tuple(check_doc(doc_id, indexed) for doc_id in doc or ())
    filters = SearchFilters(kinds, doc_ids, in_force, since_day)
    # The earlier questions are answered again (retrieval only, no model load): a follow-up
    # then leaves out what they already said, as in the chat.
    turns = assistant.replay(history or [], k=k, filters=filters)
    answer = assistant.ask(question, turns, k=k, filters=filters)
    if not checklist:
        print(answer_to_json(answer) if as_json else answer_to_text(answer))
        return
    items = build_checklist(answer, idf=assistant.retriever.lexical.idf)
    print(answer_to_json(answer, items) if as_json else checklist_to_text(items))
