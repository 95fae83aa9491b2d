"""Streamlit pieces of the chat that ``app.py`` places: one turn's answer and its feedback.

Only layout lives here: every text is built and escaped by ``assistant.present.chat``.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from assistant.answer.answering import Assistant
from assistant.errors import CoopError
from assistant.present import chat as chat_ui
from assistant.present.chat import ChatState, CorpusOverview, FilterChoices, Turn
from assistant.present.feedback import MAX_COMMENT_CHARS, FeedbackStore
from assistant.present.rendering import escape_markdown


def show_answer(
    turn: Turn,
    state: ChatState,
    store: FeedbackStore,
    updates: Mapping[str, str],
    checklist: bool = False,
) -> None:
    """A turn's answer (or error): text, warnings, source cards, checklist, copy, feedback.

    Each "[n]" of the text links to its source card, and the cards are shown open under the
    answer, so that every citation is checked without a click.
    """
    answer = turn.answer
    if answer is None:
        st.error(escape_markdown(turn.error), icon=":material/error:")
        return
    sources, checks = chat_ui.turn_prefixes(turn)
    if answer.refused:
        st.info(chat_ui.refusal_markdown(answer), icon=":material/search_off:")
    else:
        st.markdown(chat_ui.answer_markdown(answer, sources))
    for warning in chat_ui.answer_warnings(answer):
        st.warning(warning)
    if answer.citations:
        st.markdown(f"**Sources de la réponse ({len(answer.citations)})**")
        source_cards(chat_ui.source_views(answer, updates, sources))
    if checklist and answer.checklist is not None and not answer.refused:
        st.markdown("**Liste de vérification**")
        st.markdown(chat_ui.checklist_markdown(answer.checklist, checks))
        source_cards(chat_ui.checklist_sources(answer.checklist, answer.passages, updates, checks))
    if not answer.refused:
        with st.expander("Copier la réponse (texte et sources)", icon=":material/content_copy:"):
            st.caption("Le bouton de copie est en haut à droite du cadre ci-dessous.")
            st.code(chat_ui.answer_text(answer), language=None, wrap_lines=True)
    st.caption(chat_ui.timing_caption(answer))
    feedback(turn, state, store)


def answering(
    assistant: Assistant,
    state: ChatState,
    question: str,
    search: chat_ui.ChatSearch,
    checklist: bool,
) -> None:
    """Answer the question (a new turn in ``state``), showing the steps while it runs."""
    with st.status(chat_ui.WORKING_STEPS[0], expanded=True) as status:
        for step in chat_ui.WORKING_STEPS:
            st.write(step)
        turn = chat_ui.answer_turn(assistant, state, question, search, checklist)
        status.update(label=chat_ui.done_label(turn), state="complete", expanded=False)


def source_cards(views: list[chat_ui.SourceView]) -> None:
    """One bordered card per source; its heading carries the anchor the "[n]" links go to."""
    for view in views:
        with st.container(border=True):
            st.subheader(view.heading, anchor=view.anchor)
            st.markdown(view.markdown())


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


def sidebar(
    assistant: Assistant, state: ChatState, overview: CorpusOverview, busy: bool
) -> FilterChoices:
    """The sidebar: what is indexed, the search filters, the conversation's actions."""
    with st.sidebar:
        st.header("Textes indexés")
        st.markdown(chat_ui.overview_markdown(overview))
        with st.expander("Liste des documents"):
            st.markdown("\n".join(overview.lines))
        st.header("Filtres")
        # Pills, not a multiselect: Streamlit's multiselect adds an English « Select all ».
        kinds = st.pills(
            "Type de document (aucun choisi : tous)",
            overview.kinds,
            selection_mode="multi",
            format_func=chat_ui.kind_label,
            key="filter_kinds",
            disabled=busy,
        )
        doc_id = st.selectbox(
            "Document",
            ["", *overview.titles],
            format_func=lambda d: overview.titles.get(d, "Tous les documents"),
            key="filter_doc",
            disabled=busy,
        )
        in_force = st.checkbox("Textes en vigueur uniquement", key="filter_in_force", disabled=busy)
        since = st.text_input(
            "Textes datés à partir du",
            placeholder="AAAA-MM-JJ",
            key="filter_since",
            help="Au format AAAA-MM-JJ, par exemple 2024-02-01 (comme `coop ask --since`).",
            disabled=busy,
        )
        k = st.slider(
            chat_ui.PASSAGES_LABEL,
            1,
            chat_ui.MAX_PASSAGES,
            assistant.k,
            key="filter_k",
            help=chat_ui.PASSAGES_HELP,
            disabled=busy,
        )
        st.caption(chat_ui.backend_caption(assistant))
        st.header("Conversation")
        st.button(
            "Nouvelle conversation",
            on_click=state.reset,
            icon=":material/restart_alt:",
            disabled=busy,
        )
        if state.answers():
            st.download_button(
                "Exporter la conversation (Markdown)",
                chat_ui.export_markdown(state),
                file_name="conversation-protocoles-cooperation.md",
                mime="text/markdown",
                icon=":material/download:",
                disabled=busy,
            )
    return FilterChoices(tuple(kinds), doc_id or "", in_force, since, k)
