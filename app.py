"""Streamlit chat: layout and wiring only (state, texts, checks: ``assistant.present.chat``).

Run with ``streamlit run app.py`` (or ``make run``); ``.streamlit/config.toml`` hides the toolbar
and error details. Tests inject a ready ``Assistant`` through ``st.session_state["assistant"]``;
otherwise the one process-wide ``load_assistant`` is used.
"""

from __future__ import annotations

import logging

import streamlit as st

from assistant import Assistant, Settings, build_assistant
from assistant.present import chat as chat_ui
from assistant.present import widgets
from assistant.present.chat import ChatState, CorpusOverview, FilterChoices
from assistant.present.feedback import FeedbackStore
from assistant.present.rendering import escape_markdown


@st.cache_resource(show_spinner="Chargement du modèle et de l'index…")
def load_assistant(settings: Settings) -> Assistant:
    """The assistant, built once per process; the model is warmed up for a fast first answer."""
    assistant = build_assistant(settings)
    chat_ui.warm_up(assistant)
    return assistant


def _open() -> tuple[Settings, Assistant] | None:
    """The settings and the assistant, or a French message in place of the chat."""
    try:
        settings = chat_ui.chat_settings()
        injected = st.session_state.get("assistant")
        return settings, injected if isinstance(injected, Assistant) else load_assistant(settings)
    except Exception as err:  # noqa: BLE001 - the boundary: French text, traceback logged
        problem = chat_ui.loading_problem(err)
        if problem.warning:
            st.warning(problem.text, icon=problem.icon)
        else:
            st.error(problem.text, icon=problem.icon)
        return None


def _sidebar(assistant: Assistant, state: ChatState, overview: CorpusOverview) -> FilterChoices:
    with st.sidebar:
        st.header("Textes indexés")
        st.markdown(chat_ui.overview_markdown(overview))
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
        since = st.text_input(
            "Textes datés à partir du",
            placeholder="AAAA-MM-JJ",
            key="filter_since",
            help="Au format AAAA-MM-JJ, par exemple 2024-02-01 (comme `coop ask --since`).",
        )
        k = st.slider("Passages consultés", 1, chat_ui.MAX_PASSAGES, assistant.k, key="filter_k")
        st.toggle(
            "Liste de vérification",
            key="show_checklist",
            help="Sous chaque réponse : conditions, pièces à fournir, étapes et délais trouvés "
            "dans les passages, chacun avec sa source.",
        )
        st.caption(chat_ui.backend_caption(assistant))
        st.header("Conversation")
        st.button("Nouvelle conversation", on_click=state.reset, icon=":material/restart_alt:")
        if state.answers():
            st.download_button(
                "Exporter la conversation (Markdown)",
                chat_ui.export_markdown(state),
                file_name="conversation-protocoles-cooperation.md",
                mime="text/markdown",
                icon=":material/download:",
            )
    return FilterChoices(tuple(kinds), doc_id or "", in_force, since, k)


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


def main() -> None:
    """One run of the page: sidebar, first screen or conversation, then the new question."""
    st.set_page_config(page_title="Protocoles de coopération", page_icon="🩺")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    st.title(chat_ui.TITLE)
    if (opened := _open()) is None:
        st.stop()
        return
    settings, assistant = opened
    state: ChatState = st.session_state.setdefault("chat", ChatState())
    store = FeedbackStore(settings.feedback_db)
    updates = chat_ui.update_dates(settings)
    overview = chat_ui.corpus_overview(chat_ui.indexed_documents(assistant), updates)
    search = chat_ui.checked_search(_sidebar(assistant, state, overview), overview)
    checklist = bool(st.session_state.get("show_checklist"))
    question = chat_ui.next_question(state, st.chat_input("Votre question…"))
    if not state.turns and not question:
        _first_screen(state)
    if search.error:
        st.error(escape_markdown(search.error), icon=":material/filter_alt_off:")
    elif restriction := chat_ui.filters_caption(search.filters, overview.titles):
        st.caption(restriction)
    for turn in state.turns:
        with st.chat_message("user"):
            st.markdown(chat_ui.question_markdown(turn.question, assistant.max_question_chars))
        with st.chat_message("assistant"):
            widgets.show_answer(turn, state, store, updates, checklist)
    if question:
        with st.chat_message("user"):
            st.markdown(chat_ui.question_markdown(question, assistant.max_question_chars))
        with st.chat_message("assistant"):
            with st.spinner("Recherche dans les textes…"):
                turn = chat_ui.answer_turn(assistant, state, question, search, checklist)
            widgets.show_answer(turn, state, store, updates, checklist)


if __name__ == "__main__":
    main()
