"""The state the last ``coop corpus sync`` recorded in the documents folder (read side)."""

from __future__ import annotations

import json
from pathlib import Path

STATE_FILE = ".sync-state.json"
"""File of the documents folder recording the last sync: date, and per document its status,
file and the date it last changed (read by ``coop corpus diff`` and the chat)."""


def read_sync_state(dest: Path) -> dict[str, object]:
    """The state recorded by the last sync in ``dest`` (empty when none or unreadable)."""
    try:
        data = json.loads((dest / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def document_updates(dest: Path) -> dict[str, str]:
    """doc_id → ISO date of the last sync that changed the document (from the sync state)."""
    documents = read_sync_state(dest).get("documents")
    if not isinstance(documents, dict):
        return {}
    return {
        str(doc_id): str(entry["updated_at"])
        for doc_id, entry in documents.items()
        if isinstance(entry, dict) and entry.get("updated_at")
    }
