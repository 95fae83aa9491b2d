"""Streamlit chat: layout and wiring only (state, texts and escaping: assistant.present.chat).

Run with ``streamlit run app.py`` (or ``make run``). Tests inject a ready ``Assistant`` through
``st.session_state["assistant"]``; otherwise the one process-wide ``load_assistant`` is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime

import streamlit as st

from assistant.answer.answering import Assistant
from assistant.answer.authority import divergence_notes
from assistant.answer.checklist import build_checklist
from assistant.config import Settings
from assistant.errors import CoopError, IndexMissingError
from assistant.factory import build_assistant
from assistant.index.sync_state import document_updates
from assistant.present import chat as chat_ui
from assistant.present.chat import ChatState, Turn
from assistant.present.feedback import MAX_COMMENT_CHARS, FeedbackStore
from assistant.present.rendering import conversation_to_markdown, escape_markdown
from assistant.retrieve.hybrid import SearchFilters

logger = logging.getLogger("coop.app")


@st.cache_resource(show_spinner="Chargement du modèle et de l'index…")
def load_assistant(settings: Settings) -> Assistant:
    """The assistant, built once per process; the model is warmed up for a fast first answer."""
    assistant = build_assistant(settings)
    assistant.retriever.embedder.embed_query("protocole de coopération")
    return assistant


def _assistant(settings: Settings) -> Assistant | None:
    injected = st.session_state.get("assistant")
    if isinstance(injected, Assistant):
        return injected
    try:
        return load_assistant(settings)
    except IndexMissingError:
        st.warning(chat_ui.MISSING_INDEX_HELP, icon=":material/info:")
    except CoopError as err:
        st.error(escape_markdown(err.message))
    except Exception:  # noqa: BLE001 - the boundary: log the traceback, show French text
        logger.exception("the assistant could not be loaded")
        st.error(chat_ui.UNEXPECTED_ERROR)
    return None


def _sidebar(
    assistant: Assistant, state: ChatState, updates: Mapping[str, str]
) -> tuple[SearchFilters, int, str]:
    overview = chat_ui.corpus_overview(assistant.retriever.store.documents(), updates)
    with st.sidebar:
        st.header("Textes indexés")
        st.markdown(
            f"**{overview.documents}** documents, **{overview.passages}** passages  \n"
            f"Dernière indexation : {overview.last_ingestion}"
        )
        with st.expander("Liste des documents"):
            st.markdown("\n".join(overview.lines))
        st.header("Filtres")
        kinds = st.multiselect(
            "Type de document",
            overview.kinds,
            format_func=chat_ui.kind_label,
            placeholder="Tous les types",
            key="filter_kinds",
        )
        doc_id = st.selectbox(
            "Document",
            ["", *overview.titles],
            format_func=lambda d: overview.titles.get(d, "Tous les documents"),
            key="filter_doc",
        )
        in_force = st.checkbox("Textes en vigueur uniquement", key="filter_in_force")
        since = st.date_input(
            "Textes datés à partir du", value=None, format="DD/MM/YYYY", key="filter_since"
        )
        k = st.slider("Passages consultés", 1, max(10, assistant.k), assistant.k, key="filter_k")
        st.toggle(
            "Liste de vérification",
            key="show_checklist",
            help="Sous chaque réponse : conditions, pièces à fournir, étapes et délais trouvés "
            "dans les passages, chacun avec sa source.",
        )
        st.caption(f"Réponses : {chat_ui.BACKEND_LABELS.get(assistant.backend, assistant.backend)}")
        st.header("Conversation")
        st.button("Nouvelle conversation", on_click=state.reset, icon=":material/restart_alt:")
        if state.answers():
            st.download_button(
                "Exporter la conversation (Markdown)",
                conversation_to_markdown(
                    state.answers(), exported_at=datetime.now().strftime("%d/%m/%Y à %H:%M")
                ),
                file_name="conversation-protocoles-cooperation.md",
                mime="text/markdown",
                icon=":material/download:",
            )
    chosen = since if isinstance(since, date) else None
    filters = chat_ui.search_filters(kinds, doc_id or "", in_force, chosen)
    return filters, k, chat_ui.filters_caption(filters, overview.titles)


def _first_screen(state: ChatState) -> None:
    st.markdown(chat_ui.INTRO)
    st.markdown("**Exemples de questions**")
    for number, question in enumerate(chat_ui.EXAMPLE_QUESTIONS):
        st.button(
            question,
            key=f"example-{number}",
            on_click=setattr,
            args=(state, "pending", question),
            width="stretch",
        )


Idf = Callable[[str], float]


def _show_answer(
    turn: Turn,
    state: ChatState,
    store: FeedbackStore,
    updates: Mapping[str, str],
    checklist_idf: Idf | None,
) -> None:
    if turn.answer is None:
        st.error(escape_markdown(turn.error), icon=":material/error:")
        return
    answer = turn.answer
    if answer.refused:
        st.info(
            f"**{chat_ui.REFUSAL_TITLE}.** {escape_markdown(answer.text)}",
            icon=":material/search_off:",
        )
    else:
        st.markdown(chat_ui.answer_markdown(answer))
    if answer.notice:
        st.warning(escape_markdown(answer.notice))
    for note in divergence_notes(answer.citations):
        st.warning(escape_markdown(f"Divergence entre sources : {note}"))
    if checklist_idf is not None and not answer.refused:
        checklist = build_checklist(answer, idf=checklist_idf)
        with st.expander("Liste de vérification", expanded=True):
            st.markdown(chat_ui.checklist_markdown(checklist))
            for view in chat_ui.checklist_sources(checklist, answer.passages, updates):
                st.markdown(view.markdown())
    if answer.citations:
        with st.expander(f"Sources ({len(answer.citations)})"):
            for citation in answer.citations:
                updated = updates.get(citation.doc_id, "")
                st.markdown(chat_ui.source_view(citation, answer.passages, updated).markdown())
    st.caption(chat_ui.timing_caption(answer))
    _feedback(turn, state, store)


def _feedback(turn: Turn, state: ChatState, store: FeedbackStore) -> None:
    thumbs = st.feedback("thumbs", key=f"thumbs-{turn.id}")
    try:
        chat_ui.apply_rating(turn, thumbs, store, state.conversation_id)
    except CoopError as err:
        st.error(escape_markdown(err.message))
        return
    if turn.feedback_id is None:
        return
    if turn.comment_saved:
        st.caption("Merci : votre avis et votre commentaire sont enregistrés.")
        return
    with st.form(key=f"comment-form-{turn.id}", border=False):
        comment = st.text_input(
            "Merci, votre avis est enregistré. Un commentaire ? (facultatif)",
            max_chars=MAX_COMMENT_CHARS,
            placeholder="Ce qui manque, ce qui est inexact…",
            key=f"comment-{turn.id}",
        )
        if st.form_submit_button("Envoyer le commentaire"):
            try:
                saved = chat_ui.save_comment(turn, comment, store)
            except CoopError as err:
                st.error(escape_markdown(err.message))
                return
            if saved:
                st.rerun()  # show the thanks instead of the form


def _ask(
    assistant: Assistant, state: ChatState, question: str, filters: SearchFilters, k: int
) -> Turn:
    history = state.history()
    try:
        with st.spinner("Recherche dans les textes…"):
            answer = assistant.ask(question, history, k=k, filters=filters)
    except CoopError as err:
        return state.add(question, error=err.message)
    except Exception:  # noqa: BLE001 - the boundary: log the traceback, show French text
        logger.exception("unexpected error while answering")
        return state.add(question, error=chat_ui.UNEXPECTED_ERROR)
    return state.add(question, answer)


def main() -> None:
    """One run of the page: sidebar, first screen or conversation, then the new question."""
    st.set_page_config(page_title="Protocoles de coopération", page_icon="🩺")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    st.title(chat_ui.TITLE)
    assistant = _assistant(settings)
    if assistant is None:
        st.stop()
        return
    if "chat" not in st.session_state:
        st.session_state["chat"] = ChatState()
    state: ChatState = st.session_state["chat"]
    store = FeedbackStore(settings.feedback_db)
    updates = document_updates(settings.corpus_dir)
    filters, k, restriction = _sidebar(assistant, state, updates)
    idf = assistant.retriever.lexical.idf if st.session_state.get("show_checklist") else None
    typed = st.chat_input("Votre question…", max_chars=assistant.max_question_chars)
    question = typed or state.take_pending()
    if not state.turns and not question:
        _first_screen(state)
    if restriction:
        st.caption(restriction)
    for turn in state.turns:
        with st.chat_message("user"):
            st.markdown(escape_markdown(turn.question))
        with st.chat_message("assistant"):
            _show_answer(turn, state, store, updates, idf)
    if question:
        with st.chat_message("user"):
            st.markdown(escape_markdown(question))
        with st.chat_message("assistant"):
            turn = _ask(assistant, state, question, filters, k)
            _show_answer(turn, state, store, updates, idf)


if __name__ == "__main__":
    main()
