"""State, loading and view helpers of the Streamlit chat (``app.py`` only lays them out).

Nothing here imports Streamlit: the conversation is a plain object kept in the session, the
settings, the sidebar's filters and the loading errors are checked here, and every piece of text
shown is built (and escaped) here, so it is tested without a browser. ``app.py`` reaches the
assistant's retriever, index and settings only through the functions of this module.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from assistant.answer.answering import Assistant
from assistant.answer.authority import authority_of
from assistant.answer.checklist import Checklist
from assistant.config import K_MAX, Settings, load_settings
from assistant.errors import CoopError, IndexMissingError, OptionError
from assistant.hierarchy import origin_label
from assistant.index.store import DocumentRecord
from assistant.index.sync_state import document_updates
from assistant.options import check_doc, check_k, check_kind, parse_since
from assistant.present.feedback import FeedbackStore, Rating
from assistant.present.rendering import (
    KIND_LABELS,
    answer_to_text,
    checklist_citations,
    citation_location,
    conversation_to_markdown,
    escape_markdown,
    highlight_markdown,
    link_markdown,
)
from assistant.retrieve.hybrid import SearchFilters
from assistant.schema import Answer, Citation, Hit, Message, is_historical, is_in_force
from assistant.text.dates import french_date

logger = logging.getLogger(__name__)

TITLE = "Assistant « protocoles de coopération »"

INTRO = (
    "Posez une question sur les **protocoles de coopération entre professionnels de santé** : "
    "protocoles nationaux et locaux, comité national des coopérations interprofessionnelles "
    "(CNCI), appels à manifestation d'intérêt, démarches auprès des ARS.\n\n"
    "- Les réponses sont composées **uniquement à partir des textes indexés** (Code de la santé "
    "publique, décrets, arrêtés, instructions, pages du ministère et des ARS) ; chaque phrase "
    "renvoie à sa source, avec le passage cité et le lien officiel.\n"
    "- Quand les textes ne contiennent pas la réponse, l'assistant le dit au lieu de deviner.\n"
    "- Il ne connaît ni votre dossier, ni les décisions individuelles, ni les textes publiés "
    "après la dernière indexation ; il ne remplace pas l'avis de votre ARS. Seuls les textes "
    "officiels font foi.\n"
    "- N'écrivez pas de données personnelles ou de santé dans vos questions."
)

EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "Quels professionnels peuvent s'engager dans un protocole de coopération ?",
    "Quels documents fournir pour déclarer la mise en œuvre d'un protocole national ?",
    "Qui autorise un protocole local dans un établissement de santé ?",
    "Quel est le rôle du comité national des coopérations interprofessionnelles ?",
    "Que dit l'article L. 4011-3 du code de la santé publique ?",
)

MISSING_INDEX_HELP = (
    "L'index des textes n'est pas encore construit. Depuis le dossier du projet, lancez "
    "`make run` (installation, synchronisation du corpus, indexation puis ouverture du chat), "
    "ou, si l'installation est faite :\n\n"
    "```\n.venv/bin/coop corpus sync --mirror ../shared/corpus\n.venv/bin/coop ingest\n```\n\n"
    "puis rechargez cette page."
)

UNEXPECTED_ERROR = (
    "Une erreur inattendue s'est produite ; elle a été consignée dans le journal du serveur. "
    "Reformulez la question ou réessayez dans un instant."
)

_MAX_LOCATION_CHARS = 80

PASSAGES_LABEL = "Nombre d'extraits de textes à lire"
PASSAGES_HELP = (
    "L'assistant lit ce nombre d'extraits des textes indexés, les plus proches de la question, "
    "avant de répondre (comme `coop ask --k`)."
)
CHECKLIST_HELP = (
    "Sous chaque réponse : conditions à remplir, pièces à fournir, étapes et délais trouvés dans "
    "les textes, chacun avec sa source."
)
WORKING_STEPS = (
    "Recherche dans les textes indexés…",
    "Rédaction de la réponse, chaque phrase avec sa source…",
)

# Put in the page head by ``app.py`` (``st.html``): Streamlit gives no setting for these.
# - the page is in French (``lang``) and its skip link says so in French;
# - on a narrow screen the avatars are hidden, so the answer takes the full width;
# - the page opens at its top (the question field's focus must not scroll it).
PAGE_HEAD = """
<style>
@media (max-width: 640px) {
  [data-testid="stChatMessageAvatarUser"], [data-testid="stChatMessageAvatarAssistant"],
  [data-testid="stChatMessageAvatarCustom"] { display: none; }
}
</style>
<script>
document.documentElement.lang = "fr";
const skip = document.querySelector('[data-testid="stSkipToContent"]');
if (skip) { skip.textContent = "Aller au contenu principal"; }
</script>
"""


def done_label(turn: Turn) -> str:
    """The label of the finished steps: answered, refused, or failed."""
    if turn.answer is None:
        return "Question non traitée"
    return "Pas de réponse dans les textes" if turn.answer.refused else "Réponse rédigée"


def limit_caption(max_chars: int) -> str:
    """The length limit shown under the question field ('2 000 caractères au plus')."""
    return f"Question de {max_chars:,} caractères au plus.".replace(",", "\u202f")


REFUSAL_TITLE = "Pas de réponse dans les textes"

BACKEND_LABELS = {
    "extractive": "extractif, hors ligne (phrases des textes)",
    "openai": "modèle de langage (API compatible OpenAI)",
    "llamacpp": "modèle de langage local (llama.cpp)",
}


@dataclass
class Turn:
    """One question and what came back: an answer, or a French error message."""

    id: int
    question: str
    answer: Answer | None = None
    error: str = ""
    rating: Rating | None = None
    feedback_id: int | None = None
    comment_saved: bool = False


@dataclass
class ChatState:
    """The conversation of one browser session."""

    conversation_id: str = field(default_factory=lambda: secrets.token_hex(8))
    turns: list[Turn] = field(default_factory=list)
    pending: str = ""
    _next_id: int = 0

    def add(self, question: str, answer: Answer | None = None, error: str = "") -> Turn:
        """Append a turn (ids stay unique across resets, so widget keys never collide)."""
        turn = Turn(self._next_id, question, answer, error)
        self._next_id += 1
        self.turns.append(turn)
        return turn

    def history(self) -> list[Message]:
        """Previous turns as chat messages, for follow-up questions (failed turns left out)."""
        messages: list[Message] = []
        for turn in self.turns:
            if turn.answer is not None:
                messages.append(Message("user", turn.answer.question or turn.question))
                messages.append(Message("assistant", turn.answer.text))
        return messages

    def answers(self) -> list[Answer]:
        """The answers so far, in order (for the export)."""
        return [turn.answer for turn in self.turns if turn.answer is not None]

    def take_pending(self) -> str:
        """The question queued by an example button, once."""
        question, self.pending = self.pending, ""
        return question

    def reset(self) -> None:
        """Start a new conversation (new id for the feedback rows)."""
        self.turns.clear()
        self.pending = ""
        self.conversation_id = secrets.token_hex(8)


def next_question(state: ChatState, typed: str | None) -> str:
    """The question of this run: the one typed (spaces only: none), else an example's, once."""
    if typed and typed.strip():
        return typed
    return state.take_pending()


def question_markdown(question: str, max_chars: int) -> str:
    """The question as typed, escaped; beyond ``max_chars`` only its beginning (it is refused)."""
    if len(question) > max_chars:
        question = question[:max_chars].rstrip() + " …"
    return escape_markdown(question)


def export_markdown(state: ChatState, now: datetime | None = None) -> str:
    """The conversation as a Markdown document, dated (for the download button)."""
    when = (now or datetime.now()).strftime("%d/%m/%Y à %H:%M")
    return conversation_to_markdown(state.answers(), exported_at=when)


def answer_turn(
    assistant: Assistant,
    state: ChatState,
    question: str,
    search: ChatSearch,
    checklist: bool = False,
) -> Turn:
    """Ask the question with the conversation so far and add the turn: an answer or an error.

    Refused filters (``search.error``) search nothing; a ``CoopError`` keeps its French message;
    anything else is logged with its traceback and shown as ``UNEXPECTED_ERROR``.
    """
    if search.error:
        return state.add(question, error=search.error)
    try:
        answer = assistant.ask(
            question, state.history(), k=search.k, filters=search.filters, checklist=checklist
        )
    except CoopError as err:
        return state.add(question, error=err.message)
    except Exception:  # noqa: BLE001 - the chat's boundary: log the traceback, show French text
        logger.exception("unexpected error while answering")
        return state.add(question, error=UNEXPECTED_ERROR)
    return state.add(question, answer)


# -- loading -------------------------------------------------------------------------------------


def chat_settings() -> Settings:
    """The settings of the ``COOP_*`` variables and ``.env``, as the CLI reads them.

    Raises:
        ConfigError: a wrong value; the French message names the variable.
    """
    return load_settings()


def warm_up(assistant: Assistant) -> None:
    """Embed one query, so that the first question does not pay for the model's first call."""
    assistant.retriever.embedder.embed_query("protocole de coopération")


def indexed_documents(assistant: Assistant) -> dict[str, DocumentRecord]:
    """The documents the assistant searches, by doc_id (for the sidebar and its filters)."""
    return assistant.retriever.store.documents()


def update_dates(settings: Settings) -> dict[str, str]:
    """Date of the last sync that changed each document, by doc_id (empty before any sync)."""
    return document_updates(settings.corpus_dir)


@dataclass(frozen=True, slots=True)
class Problem:
    """What the page shows instead of the chat: escaped Markdown, as a warning or an error."""

    text: str
    warning: bool = False
    icon: str = ":material/error:"


def loading_problem(err: Exception) -> Problem:
    """The French message for a failure to read the settings or load the assistant.

    A missing index is a warning with the commands that build it; any ``CoopError`` (a bad
    ``COOP_*`` setting…) shows its own message; anything else is logged with its traceback and
    shown as a generic message (no internal detail reaches the page).
    """
    if isinstance(err, IndexMissingError):
        return Problem(MISSING_INDEX_HELP, warning=True, icon=":material/info:")
    if isinstance(err, CoopError):
        return Problem(escape_markdown(err.message))
    logger.error("the assistant could not be loaded", exc_info=err)
    return Problem(UNEXPECTED_ERROR)


def search_filters(
    kinds: Sequence[str] = (),
    doc_id: str = "",
    in_force_only: bool = False,
    since: date | None = None,
) -> SearchFilters:
    """The sidebar choices as retrieval filters."""
    return SearchFilters(
        kinds=tuple(kinds),
        doc_ids=(doc_id,) if doc_id else (),
        in_force_only=in_force_only,
        since=since.isoformat() if since else "",
    )


def filters_caption(filters: SearchFilters, titles: Mapping[str, str]) -> str:
    """One escaped line saying how the search is restricted ('' when it is not)."""
    parts = [", ".join(kind_label(kind) for kind in filters.kinds)] if filters.kinds else []
    parts += [titles.get(doc_id, doc_id) for doc_id in filters.doc_ids]
    if filters.in_force_only:
        parts.append("textes en vigueur")
    if filters.since:
        parts.append(f"textes datés à partir du {french_date(filters.since)}")
    if not parts:
        return ""
    return "Recherche limitée : " + " · ".join(escape_markdown(part) for part in parts)


MAX_PASSAGES = K_MAX
"""Most passages the chat's slider offers: the bound of ``coop ask --k`` and ``COOP_K``."""


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """The sidebar's controls as chosen (``since`` as typed, AAAA-MM-JJ)."""

    kinds: tuple[str, ...] = ()
    doc_id: str = ""
    in_force_only: bool = False
    since: str = ""
    k: int = 5


@dataclass(frozen=True, slots=True)
class ChatSearch:
    """The checked choices: filters and k, or the French reason why no search is made."""

    filters: SearchFilters
    k: int
    error: str = ""


def checked_search(choices: FilterChoices, overview: CorpusOverview) -> ChatSearch:
    """The choices checked by the rules of ``coop ask`` (``assistant.options``), same messages.

    ``k`` from 1 to ``K_MAX``, the date as AAAA-MM-JJ, types and documents among those indexed.
    """
    try:
        k = check_k(choices.k)
        since = parse_since(choices.since) if choices.since.strip() else None
        kinds = [check_kind(kind, overview.kinds) for kind in choices.kinds]
        doc_id = check_doc(choices.doc_id, overview.titles) if choices.doc_id else ""
    except OptionError as err:
        return ChatSearch(SearchFilters(), choices.k, err.message)
    return ChatSearch(search_filters(kinds, doc_id, choices.in_force_only, since), k)


# -- corpus --------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    """French name of a document kind."""
    return KIND_LABELS.get(kind, kind)


@dataclass(frozen=True, slots=True)
class CorpusOverview:
    """What the index holds, for the sidebar."""

    documents: int
    passages: int
    last_ingestion: str
    kinds: list[str]
    lines: list[str]
    titles: dict[str, str]


def updated_caption(iso: str) -> str:
    """'mis à jour le 23/11/2026' from the sync date of a document ('' when unknown)."""
    return f"mis à jour le {french_date(iso.split('T')[0])}" if iso else ""


def corpus_overview(
    documents: Mapping[str, DocumentRecord], updates: Mapping[str, str] | None = None
) -> CorpusOverview:
    """Counts, last ingestion date and one escaped Markdown line per document (newest first).

    ``updates`` maps doc ids to the date of the last sync that changed the document.
    """
    records = sorted(documents.values(), key=lambda r: (r.date, r.doc_id), reverse=True)
    lines = []
    for record in records:
        line = f"- {escape_markdown(record.title)} — {escape_markdown(kind_label(record.kind))}"
        if record.date:
            line += f", {french_date(record.date)}"
        if not is_in_force(record.status):
            line += f" ({escape_markdown(record.status)})"
        updated = updated_caption((updates or {}).get(record.doc_id, ""))
        if updated:
            line += f" · {escape_markdown(updated)}"
        lines.append(line)
    last = max((r.ingested_at for r in records), default="")
    return CorpusOverview(
        documents=len(records),
        passages=sum(r.chunks for r in records),
        last_ingestion=french_date(last) if last else "inconnue",
        kinds=sorted({r.kind for r in records}, key=kind_label),
        lines=lines,
        titles={r.doc_id: r.title for r in sorted(records, key=lambda r: r.title)},
    )


def overview_markdown(overview: CorpusOverview) -> str:
    """The sidebar's summary of the index: counts and last ingestion date."""
    return (
        f"**{overview.documents}** documents, **{overview.passages}** passages  \n"
        f"Dernière indexation : {overview.last_ingestion}"
    )


def backend_caption(assistant: Assistant) -> str:
    """Which backend writes the answers, in French."""
    return f"Réponses : {BACKEND_LABELS.get(assistant.backend, assistant.backend)}"


# -- answers -------------------------------------------------------------------------------------


NO_LINK = "Lien officiel non disponible"
NO_URL_REASON = "le catalogue des sources n'indique pas d'adresse vérifiée pour ce document"
UNSAFE_URL_REASON = "l'adresse enregistrée n'est pas un lien web sûr"

# The family of a source in words, before its rank in the hierarchy of norms.
_AUTHORITY_WORDS = {
    "code": "texte officiel",
    "loi": "texte officiel",
    "decret": "texte officiel",
    "arrete": "texte officiel",
    "instruction": "document officiel du ministère",
    "faq": "document officiel du ministère",
    "ami": "document officiel du ministère",
    "communique": "communiqué du ministère",
    "page-ars": "page d'une ARS",
    "presentation": "présentation d'une ARS",
    "page": "page web d'information",
    "historique": "document historique",
    "presse": "presse, source non officielle",
}


@dataclass(frozen=True, slots=True)
class SourceView:
    """One numbered source card, as escaped Markdown pieces.

    ``anchor`` is the id the answer's ``[n]`` links to (the card's heading carries it).
    """

    anchor: str
    heading: str
    facts: tuple[str, ...]
    passage: str
    link: str
    badge: str = ""

    @property
    def details(self) -> str:
        """The facts on one line (document kind, place, date, authority, status…)."""
        return " · ".join(fact.split(":** ", 1)[-1] for fact in self.facts)

    def markdown(self) -> str:
        """The card's body: badges, one line per fact, the quoted passage, the link."""
        facts = "  \n".join(self.facts)
        passage = f"**Passage cité :** {self.passage}" if self.passage else ""
        return "\n\n".join(p for p in (self.badge, facts, passage, self.link) if p)


def authority_words(citation: Citation) -> str:
    """'texte officiel (niveau 1 · loi ou code)': the family of the source, then its rank."""
    family = _AUTHORITY_WORDS.get(citation.kind, "source non classée")
    return f"{family} ({authority_of(citation.kind, citation.section).badge})"


def status_words(status: str) -> str:
    """The status of a source in words: in force, historical, or an information page."""
    lowered = status.strip().lower()
    if not lowered:
        return "non précisé"
    if is_historical(status):
        return "historique : ce texte n'est plus en vigueur"
    if lowered.startswith("information"):
        return "page d'information (pas un texte qui crée des règles)"
    return status.strip()


def official_link(url: str) -> str:
    """The official link, or « Lien officiel non disponible » with the reason."""
    if link := link_markdown("Texte officiel ↗", url):
        return link
    reason = UNSAFE_URL_REASON if url.strip() else NO_URL_REASON
    return f"{NO_LINK} : {escape_markdown(reason)}."


def passage_of(citation: Citation, hits: Sequence[Hit]) -> str:
    """Full text of the retrieved passage a citation quotes ('' when it cannot be found)."""
    hit = citation.passage_in(hits)
    return hit.chunk.text if hit is not None else ""


# Badge colour by authority level (1 = law … 7 = historical narrative).
_BADGE_COLOURS = {1: "green", 2: "green", 3: "blue", 4: "blue", 5: "orange", 6: "gray", 7: "gray"}


def authority_badge_markdown(citation: Citation) -> str:
    """Streamlit badge with the source's rank in the hierarchy of norms (red when historical)."""
    authority = authority_of(citation.kind, citation.section)
    colour = _BADGE_COLOURS.get(authority.level, "gray")
    badge = f":{colour}-badge[{escape_markdown(authority.badge)}]"
    if citation.status and not is_in_force(citation.status):
        badge += f" :red-badge[{escape_markdown(citation.status)}]"
    return badge


def source_anchor(prefix: str, n: int) -> str:
    """Id of the card of source ``n`` in a list of sources (``prefix`` names the list)."""
    return f"{prefix}-{n}"


def source_view(
    citation: Citation, hits: Sequence[Hit], updated_at: str = "", prefix: str = "source"
) -> SourceView:
    """The card of a source: document, place, date, authority, status, passage and link."""
    facts = [f"Document : {kind_label(citation.kind)}"] if citation.kind else []
    if origin := origin_label(citation.origin):
        facts.append(f"Origine : {origin}")
    location = citation_location(citation)
    if len(location) > _MAX_LOCATION_CHARS:
        # Web pages have no articles: their "section" can be a whole first sentence.
        location = location[:_MAX_LOCATION_CHARS].rsplit(" ", 1)[0] + " …"
    if location:
        facts.append(f"Article ou section : {location}")
    if citation.date:
        facts.append(f"Date : {french_date(citation.date)}")
    facts.append(f"Autorité : {authority_words(citation)}")
    facts.append(f"Statut : {status_words(citation.status)}")
    if updated_at:
        facts.append(f"Copie locale : {updated_caption(updated_at)}")
    passage = passage_of(citation, hits) or citation.quote
    return SourceView(
        anchor=source_anchor(prefix, citation.n),
        heading=f"\\[{citation.n}\\] {escape_markdown(citation.title)}",
        facts=tuple(_fact_markdown(fact) for fact in facts),
        passage=highlight_markdown(passage, citation.quote),
        link=official_link(citation.url),
        badge=authority_badge_markdown(citation),
    )


def _fact_markdown(fact: str) -> str:
    label, _, value = fact.partition(" : ")
    return f"**{escape_markdown(label)} :** {escape_markdown(value)}"


def linked_citations(markdown: str, prefix: str, numbers: Iterable[int]) -> str:
    """Escaped Markdown whose escaped "[n]" markers link to the cards ``#prefix-n`` (known n)."""
    known = set(numbers)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in known:
            return match.group(0)
        return f"[\\[{n}\\]](#{source_anchor(prefix, n)})"

    return _ESCAPED_MARKER.sub(link, markdown)


_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")


def checklist_markdown(checklist: Checklist, prefix: str = "") -> str:
    """The checklist as escaped Markdown: one heading per category, "[n]" after each item.

    With ``prefix``, each "[n]" links to the card ``#prefix-n`` of ``checklist_sources``.
    """
    if checklist.empty:
        return "\n\n".join(escape_markdown(note) for note in checklist.notes)
    blocks = []
    for section in checklist.sections:
        lines = [f"**{escape_markdown(section.title)}**", ""]
        for item in section.items:
            lines.append(f"- {escape_markdown(item.text)} \\[{item.n}\\]")
            lines += [f"    - {escape_markdown(detail)}" for detail in item.details]
        blocks.append("\n".join(lines))
    blocks += [f"_{escape_markdown(note)}_" for note in checklist.notes]
    markdown = "\n\n".join(blocks)
    if not prefix:
        return markdown
    return linked_citations(markdown, prefix, (c.n for c in checklist_citations(checklist)))


def checklist_sources(
    checklist: Checklist,
    hits: Sequence[Hit],
    updates: Mapping[str, str] | None = None,
    prefix: str = "check",
) -> list[SourceView]:
    """The cards of the sources the checklist's items refer to (numbers as in the checklist)."""
    dates = updates or {}
    return [
        source_view(c, hits, dates.get(c.doc_id, ""), prefix)
        for c in checklist_citations(checklist)
    ]


def answer_markdown(answer: Answer, prefix: str = "") -> str:
    """The answer text, escaped (citation markers stay readable as [n]).

    The answer's own bullet lines ("- …", written by the answerer, not by a document) stay a
    Markdown list; everything else is shown literally. With ``prefix``, each "[n]" of a cited
    source links to its card ``#prefix-n`` (see ``source_views``).
    """
    lines = []
    for line in answer.text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("- "):
            lines.append("- " + escape_markdown(stripped[2:]))
        else:
            lines.append(escape_markdown(line))
    markdown = "\n".join(lines)
    if not prefix:
        return markdown
    return linked_citations(markdown, prefix, (c.n for c in answer.citations))


def refusal_markdown(answer: Answer) -> str:
    """A refusal: the title in bold, then the answerer's explanation, escaped."""
    return f"**{REFUSAL_TITLE}.** {escape_markdown(answer.text)}"


def answer_warnings(answer: Answer) -> list[str]:
    """Escaped warnings under an answer: its notice, then each divergence between its sources."""
    notes = [answer.notice] if answer.notice else []
    notes += [f"Divergence entre sources : {note}" for note in answer.divergences]
    return [escape_markdown(note) for note in notes]


def source_views(
    answer: Answer, updates: Mapping[str, str] | None = None, prefix: str = "source"
) -> list[SourceView]:
    """The cards of the answer's numbered sources (anchors ``prefix-n``), with their passages."""
    dates = updates or {}
    return [
        source_view(c, answer.passages, dates.get(c.doc_id, ""), prefix) for c in answer.citations
    ]


def turn_prefixes(turn: Turn) -> tuple[str, str]:
    """Anchor prefixes of a turn's answer sources and checklist sources (unique on the page)."""
    return f"source-{turn.id}", f"check-{turn.id}"


def answer_text(answer: Answer) -> str:
    """The answer as plain text with its sources, to paste into an e-mail."""
    return answer_to_text(answer)


def timing_caption(answer: Answer, elapsed_s: float | None = None) -> str:
    """Discreet line under an answer: time taken and backend."""
    seconds = elapsed_s if elapsed_s is not None else answer.timings.get("total_s", 0.0)
    backend = BACKEND_LABELS.get(answer.backend, answer.backend)
    duration = f"{seconds:.2f}".replace(".", ",")
    return f"Réponse en {duration} s · {backend}"


# -- feedback ------------------------------------------------------------------------------------


def rating_of(thumbs: int | None) -> Rating | None:
    """``st.feedback("thumbs")`` value (0 = 👎, 1 = 👍) as a stored rating."""
    if thumbs is None:
        return None
    return 1 if thumbs == 1 else -1


def apply_rating(
    turn: Turn, thumbs: int | None, store: FeedbackStore, conversation_id: str
) -> bool:
    """Store a new or changed rating for this turn; returns True when something was written."""
    rating = rating_of(thumbs)
    if rating is None or rating == turn.rating or turn.answer is None:
        return False
    if turn.feedback_id is None:
        turn.feedback_id = store.record(turn.answer, rating, conversation_id=conversation_id)
    else:
        store.update(turn.feedback_id, rating=rating)
    turn.rating = rating
    return True


def save_comment(turn: Turn, comment: str, store: FeedbackStore) -> bool:
    """Attach the comment to the turn's stored rating; False when there is nothing to attach."""
    text = comment.strip()
    if turn.feedback_id is None or not text:
        return False
    store.update(turn.feedback_id, comment=text)
    turn.comment_saved = True
    return True
