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
from assistant.present.chat import ChatState
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


def _question_bar(assistant: Assistant, busy: bool) -> tuple[str | None, bool]:
    """The question field, its length limit, and the checklist mode next to it."""
    with st.bottom:
        typed = st.chat_input(
            "Votre question…", key="question", submit_mode="disable", disabled=busy
        )
        limit, mode = st.columns([3, 2], vertical_alignment="center")
        limit.caption(chat_ui.limit_caption(assistant.max_question_chars))
        checklist = mode.toggle(
            "Liste de vérification",
            key="show_checklist",
            help=chat_ui.CHECKLIST_HELP,
            disabled=busy,
        )
    return typed, checklist


def _first_screen(state: ChatState, busy: bool) -> None:
    st.markdown(chat_ui.INTRO)
    st.markdown("**Exemples de questions**")
    for number, question in enumerate(chat_ui.EXAMPLE_QUESTIONS):
        st.button(
            question,
            key=f"example-{number}",
            on_click=setattr,
            args=(state, "pending", question),
            width="stretch",
            disabled=busy,
        )


def main() -> None:
    """One run of the page: sidebar, first screen or conversation, then the new question.

    While a question is answered every control is disabled; the page is then drawn again.
    """
    st.set_page_config(page_title="Protocoles de coopération", page_icon="🩺")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    st.html(chat_ui.PAGE_HEAD, unsafe_allow_javascript=True)
    st.title(chat_ui.TITLE)
    if (opened := _open()) is None:
        st.stop()
        return
    settings, assistant = opened
    state: ChatState = st.session_state.setdefault("chat", ChatState())
    store = FeedbackStore(settings.feedback_db)
    typed, checklist = _question_bar(assistant, busy=bool(state.pending))
    question = chat_ui.next_question(state, typed)
    updates = chat_ui.update_dates(settings)
    overview = chat_ui.corpus_overview(chat_ui.indexed_documents(assistant), updates)
    choices = widgets.sidebar(assistant, state, overview, busy=bool(question))
    search = chat_ui.checked_search(choices, overview)
    if not state.turns:
        _first_screen(state, busy=bool(question))
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
            widgets.answering(assistant, state, question, search, checklist)
        st.rerun()  # the answer is drawn with the controls enabled again


if __name__ == "__main__":
    main()
