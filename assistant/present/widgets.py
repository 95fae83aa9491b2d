"""Streamlit pieces of the chat that ``app.py`` places: one turn's answer and its feedback.

Only layout lives here: every text is built and escaped by ``assistant.present.chat``.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from assistant.errors import CoopError
from assistant.present import chat as chat_ui
from assistant.present.chat import ChatState, Turn
from assistant.present.feedback import MAX_COMMENT_CHARS, FeedbackStore
from assistant.present.rendering import escape_markdown


def show_answer(
    turn: Turn,
    state: ChatState,
    store: FeedbackStore,
    updates: Mapping[str, str],
    checklist: bool = False,
) -> None:
    """The answer (or the error) of a turn: text, warnings, checklist, sources, time, feedback."""
    answer = turn.answer
    if answer is None:
        st.error(escape_markdown(turn.error), icon=":material/error:")
        return
    if answer.refused:
        st.info(chat_ui.refusal_markdown(answer), icon=":material/search_off:")
    else:
        st.markdown(chat_ui.answer_markdown(answer))
    for warning in chat_ui.answer_warnings(answer):
        st.warning(warning)
    if checklist and answer.checklist is not None and not answer.refused:
        with st.expander("Liste de vérification", expanded=True):
            st.markdown(chat_ui.checklist_markdown(answer.checklist))
            for view in chat_ui.checklist_sources(answer.checklist, answer.passages, updates):
                st.markdown(view.markdown())
    if answer.citations:
        with st.expander(f"Sources ({len(answer.citations)})"):
            for view in chat_ui.source_views(answer, updates):
                st.markdown(view.markdown())
    st.caption(chat_ui.timing_caption(answer))
    feedback(turn, state, store)


def feedback(turn: Turn, state: ChatState, store: FeedbackStore) -> None:
    """Thumbs under an answer; once rated, a one-line comment form, then thanks."""
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
