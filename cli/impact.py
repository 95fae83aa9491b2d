"""``coop corpus impact``: the answers a corpus change touched, asked again, old beside new."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.common import settings
from cli.output import console

if TYPE_CHECKING:
    from assistant.config import Settings
    from evals.impact import ImpactedQuestion, Reasked
    from evals.runs import SavedRun

DEFAULT_RUNS_DIR = Path("evals/runs")
DEFAULT_BASELINE = Path("evals/baseline.json")


def impact(
    runs_dir: Annotated[
        Path, typer.Option(help="Exécutions enregistrées par `coop eval --json`.")
    ] = DEFAULT_RUNS_DIR,
    baseline: Annotated[Path, typer.Option(help="Exécution de référence (commitée).")] = (
        DEFAULT_BASELINE
    ),
    feedback: Annotated[
        bool, typer.Option(help="Inclure les questions du chat qui ont reçu un avis.")
    ] = True,
    ask: Annotated[
        bool, typer.Option(help="Reposer les questions touchées et montrer l'ancienne réponse.")
    ] = True,
    k: Annotated[int, typer.Option("--k", help="Nombre de passages retrouvés (1 à 50).")] = 5,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Écrire la liste (et les réponses) en JSON.")
    ] = None,
) -> None:
    """Liste les questions dont la dernière réponse citait un passage modifié ou disparu.

    À lancer après `coop corpus sync` et `coop ingest` : questions des jeux d'évaluation
    (dernière exécution enregistrée) et questions du chat qui ont reçu un avis.
    """
    from assistant.factory import build_assistant, build_store
    from assistant.options import check_k
    from evals.impact import impacted_eval_questions, indexed_passages, reask

    check_k(k)
    config = settings()
    store = build_store(config)
    store.open_for_reading(model_id=None)
    indexed = indexed_passages(store)
    runs, histories = _saved_runs(runs_dir, baseline)
    impacted = impacted_eval_questions(runs, indexed, histories)
    if feedback:
        impacted += _impacted_feedback(config, indexed)
    out = console()
    if not impacted:
        out.print("Aucune réponse enregistrée ne cite un passage modifié ou disparu.")
        _write_json(json_out, [], [])
        return
    out.print(f"{len(impacted)} question(s) dont la dernière réponse citait un passage changé :")
    for question in impacted:
        out.print(Text(f"{question.origin} · {question.id} — {question.question}", style="bold"))
        for reason in question.reasons:
            out.print(Text(f"  {reason}"))
    answers: list[Reasked] = []
    if ask:
        assistant = build_assistant(config, store=store)
        answers = reask(assistant, impacted, k=k, on_answer=_print_side_by_side)
        changed = sum(1 for a in answers if a.changed)
        out.print(f"Réponses reposées : {len(answers)}, dont {changed} différente(s).")
    _write_json(json_out, impacted, answers)


def _saved_runs(
    runs_dir: Path, baseline: Path
) -> tuple[list[SavedRun], dict[tuple[str, str], list[str]]]:
    """The saved runs and the baseline, with each question's conversation history."""
    from evals.cases import load_cases
    from evals.impact import case_histories
    from evals.runs import list_runs, load_run

    runs = list_runs(runs_dir)
    if baseline.is_file():
        runs.insert(0, load_run(baseline))
    if not runs:
        console().print(
            f"Aucune exécution enregistrée ({runs_dir}, {baseline}) : lancez `coop eval --json "
            "FICHIER` avant de changer le corpus."
        )
    return runs, case_histories(runs, load_cases)


def _impacted_feedback(config: Settings, indexed: dict[str, set[str]]) -> list[ImpactedQuestion]:
    from assistant.present.feedback import FeedbackStore
    from evals.impact import changed_documents, impacted_feedback
    from ingest.fetch.sources import load_sources
    from ingest.split.diff import diff_corpus

    records = FeedbackStore(config.feedback_db).records()
    if not records:
        return []
    changed = changed_documents(diff_corpus(config.corpus_dir), indexed)
    url_to_doc = {
        source.official_url: source.doc_id
        for source in load_sources(config.corpus_file)
        if source.official_url
    }
    return impacted_feedback(records, changed, url_to_doc)


def _print_side_by_side(again: Reasked) -> None:
    """Old and new answers in two columns, with their sources."""
    from cli.evaluate import diff_text
    from evals.compare import word_diff

    old = again.impacted
    table = Table(
        "Ancienne réponse",
        "Nouvelle réponse" + ("" if again.changed else " (identique)"),
        title=f"{old.id} — {old.question}",
        show_lines=True,
        expand=True,
    )
    # The new answer as a word diff of the old one: what the corpus change altered stands out.
    table.add_row(Text(old.old_answer), diff_text(word_diff(old.old_answer, again.answer)))
    table.add_row(
        Text("Sources : " + ", ".join(old.old_citations), style="dim"),
        Text("Sources : " + ", ".join(again.citations), style="dim"),
    )
    console().print(table)


def _write_json(
    path: Path | None, impacted: list[ImpactedQuestion], answers: list[Reasked]
) -> None:
    if path is None:
        return
    new = {a.impacted.id: a for a in answers}
    rows = [
        asdict(question)
        | (
            {
                "new_answer": new[question.id].answer,
                "new_citations": new[question.id].citations,
                "new_refused": new[question.id].refused,
            }
            if question.id in new
            else {}
        )
        for question in impacted
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
