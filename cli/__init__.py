"""The ``coop`` command line: thin wrappers; CoopError becomes a French message here, once.

One module per command group (``cli.ask``, ``cli.ingest``, ``cli.corpus``…); they print through
``cli.output.console()``, which reads ``cli.console`` at call time (tests replace it). A command's
module is imported only when that command runs (or shows its own help), and heavy libraries
(torch, chromadb, sentence-transformers) only inside the commands: ``coop --help`` loads none of
them, nor pydantic (measured in docs/performance.md).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from rich.console import Console
from typer.core import TyperGroup

from assistant.errors import CoopError
from cli.logs import configure_logging

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

__all__ = ["app", "console", "main"]

logger = logging.getLogger(__name__)

# Command → (module, attribute: a function or a sub-``Typer``). ``coop --help`` reads each
# summary from the module's source (docstring, or ``help=`` of the ``Typer``) without importing it.
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("cli.ingest", "ingest"),
    "ask": ("cli.ask", "ask"),
    "eval": ("cli.evaluate", "evaluate"),
    "bench": ("cli.bench", "bench"),
    "doctor": ("cli.doctor", "doctor"),
    "corpus": ("cli.corpus", "app"),
    "model": ("cli.model", "app"),
    "feedback": ("cli.feedback", "app"),
}


def load_command(name: str) -> typer.core.TyperCommand | TyperGroup:
    """The click command of ``coop <name>``, its module imported now."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    holder.callback()(_no_op)  # a group whatever it holds: the command is one of its commands
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    command = group.commands[name]
    assert isinstance(command, typer.core.TyperCommand | TyperGroup)
    return command


def command_help(name: str) -> str:
    """The help of ``coop <name>`` read from its module's source, the module not imported."""
    module, attribute = COMMANDS[name]
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return ""
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attribute:
            return ast.get_docstring(node) or ""
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == attribute for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for keyword in node.value.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return ""


def _no_op() -> None:
    """Placeholder group callback (never run: only the command it holds is used)."""


class _Commands(MutableMapping[str, Any]):
    """The app's commands, each built (its module imported) the first time it is looked up."""

    def __init__(self, built: Mapping[str, Any]) -> None:
        self._built = dict(built)

    def built(self, name: str) -> Any | None:
        """The command if it has been built already, else None (nothing is imported)."""
        return self._built.get(name)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = load_command(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class _LazyGroup(TyperGroup):
    """``coop`` itself: lists every command, imports only the one that runs."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self.commands)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        commands = self.commands
        assert isinstance(commands, _Commands)
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            command = commands.built(name)
            if command is None:  # same text and cut as the command would give, without it
                command = typer.core.TyperCommand(name, help=command_help(name))
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=_LazyGroup,
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
