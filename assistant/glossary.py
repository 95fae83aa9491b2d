"""Acronyms of the field spelled out: a question using one finds the text that spells it out."""

from __future__ import annotations

import re

ACRONYMS: dict[str, str] = {
    "ACI": "accord conventionnel interprofessionnel",
    "AMI": "appel à manifestation d'intérêt",
    "ARS": "agence régionale de santé",
    "CME": "commission médicale d'établissement",
    "CNCI": "comité national des coopérations interprofessionnelles",
    "CPTS": "communauté professionnelle territoriale de santé",
    "CSIRMT": "commission des soins infirmiers, de rééducation et médico-techniques",
    "DGOS": "direction générale de l'offre de soins",
    "GHT": "groupement hospitalier de territoire",
    "HAS": "Haute Autorité de santé",
    "HPST": "loi Hôpital, patients, santé et territoires",
    "IPA": "infirmier en pratique avancée",
    "MSP": "maison de santé pluriprofessionnelle",
}
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")


def expansions(text: str) -> list[str]:
    """Spelled-out forms of the known acronyms written in capitals in ``text``, once each."""
    found = dict.fromkeys(m.group(0) for m in _ACRONYM.finditer(text))
    return [ACRONYMS[a] for a in found if a in ACRONYMS]


def expand_acronyms(text: str) -> str:
    """``text`` followed by the spelled-out forms of its acronyms (for lexical search)."""
    extra = expansions(text)
    return f"{text} {' '.join(extra)}" if extra else text
