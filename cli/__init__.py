"""The ``coop`` command line: thin wrappers; CoopError becomes a French message here, once.

One module per command group (``cli.ask``, ``cli.ingest``, ``cli.corpus``…); they print through
``cli.output.console()``, which reads ``cli.console`` at call time (tests replace it). Heavy
libraries (torch, chromadb, sentence-transformers) are imported inside the commands only, so
that ``coop --help`` stays instant.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console

from assistant.errors import CoopError
from cli.logs import configure_logging

__all__ = ["app", "console", "main"]

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Assistant sur les protocoles de coopération entre professionnels de santé.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console()

VERBOSE = "--verbose"


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option(
            VERBOSE,
            help="Détail technique sur la sortie d'erreur : journaux des bibliothèques, "
            "avertissements pypdf un par un, trace complète d'une erreur inattendue.",
        ),
    ] = False,
) -> None:
    """Assistant sur les protocoles de coopération entre professionnels de santé."""
    configure_logging(verbose=verbose)


def _register() -> None:
    from cli import ask, bench, corpus, doctor, evaluate, feedback, ingest, model

    app.command("ingest")(ingest.ingest)
    app.command("ask")(ask.ask)
    app.command("eval")(evaluate.evaluate)
    app.command("bench")(bench.bench)
    app.command("doctor")(doctor.doctor)
    app.add_typer(corpus.app, name="corpus")
    app.add_typer(model.app, name="model")
    app.add_typer(feedback.app, name="feedback")


_register()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: runs the app, turning errors into French messages and exit codes.

    ``--verbose`` is accepted anywhere before ``--`` (``coop ask "…" --verbose``), as the error
    message suggests it: it is moved in front of the command, where the app reads it.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    end = args.index("--") if "--" in args else len(args)
    if VERBOSE in args[:end]:
        args.remove(VERBOSE)
        args.insert(0, VERBOSE)
    try:
        app(args=args, prog_name="coop")
    except CoopError as err:
        print(f"Erreur : {err.message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrompu : l'index reste dans son état précédent.", file=sys.stderr)
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the boundary: log the traceback, show French text
        logger.debug("unexpected error", exc_info=True)
        print(
            "Erreur inattendue : relancez avec --verbose pour le détail technique.",
            file=sys.stderr,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
