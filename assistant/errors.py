"""The one exception hierarchy. Every message is French and meant to be shown to the user."""

__all__ = [
    "CoopError",
    "ConfigError",
    "CorpusError",
    "IndexMissingError",
    "IndexMismatchError",
    "IndexWriteError",
    "GenerationError",
    "QuestionError",
    "OptionError",
]


class CoopError(Exception):
    """Base class: its message is displayed to the user as is (French, says what and where)."""

    @property
    def message(self) -> str:
        """The user-facing French message."""
        return str(self)


class ConfigError(CoopError):
    """A setting or a local file the configuration points to is wrong (shown to the user)."""


class CorpusError(CoopError):
    """A source document cannot be fetched, read or split (file and reason in the message)."""


class IndexMissingError(CoopError):
    """There is no index yet: the user must run `coop ingest`."""


class IndexMismatchError(CoopError):
    """The index was built with another embedding model or chunker: rebuild it."""


class IndexWriteError(CoopError):
    """The index cannot be written (read-only folder, full disk); its previous state is kept."""


class GenerationError(CoopError):
    """The language model backend failed (unreachable, timeout, unusable reply)."""


class QuestionError(CoopError):
    """The question cannot be processed as typed (empty, too long, unreadable)."""


class OptionError(CoopError):
    """A search option typed by the user is invalid (k, date, document, type): says what is."""
