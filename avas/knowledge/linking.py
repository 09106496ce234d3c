"""Online entity linking: each event's entities join the stored ones as the event is committed.

    linker = EntityLinker(store, embedder, min_similarity=0.5)
    store.commit_event(linker.link(record))  # name vectors added; similar names become merges

An observed entity is the stored entity with the same kind and normalised name (the id says so).
Otherwise a stored canonical entity of the same kind whose name embedding is near (cosine >=
``min_similarity``) *and* whose name differs only the way misreadings differ (``same_name``)
takes it as an alias: an ``EntityMerge`` the store records and can undo. Otherwise it is new.

Why both tests: the embedding cannot tell a misreading from a different name. Measured with the
packaged all-MiniLM-L6-v2 on raw names, "LOADING DOCK B"/"LOADING DOCK C" scores 0.78, "EXIT GATE
7"/"EXIT GATE 9" 0.87 and "BUDGET REVIEW 2026"/"BUDGET REVIEW 2025" 0.96, while the OCR variants
"HARBOR BRIDGE"/"HARB0R BRIDGE" score 0.54 and "INTRUDER"/"lNTRUDER" 0.32. So names are embedded
after undoing the usual OCR confusions (``name_tokens``), the embedding only proposes candidates
(``candidates`` nearest, cosine >= 0.5 by default: the true variants measured 0.63-1.0 once
folded), and the string check decides: an identifier-like token (a number, a code like "B12", a
token of three characters or fewer: "B", "7", "2026") must match exactly, a word may not be added
or dropped, and a word may differ by one edit from six characters on (two from ten on).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import numpy.typing as npt

from avas.graph.base import EntityHit, EventGraphStore
from avas.perception.base import Embedder
from graph_schema import Entity, EntityMerge, EventRecord

LINKER_MODEL = "avas/entity-linker"

# OCR reads these digits inside words for the letters they resemble ("HARB0R", "L0ADING").
_DIGIT_AS_LETTER = str.maketrans({"0": "o", "1": "i", "5": "s", "8": "b", "6": "g"})
_TOKEN = re.compile(r"[^\W_]+")
MAX_IDENTIFIER_LEN = 3


def _fold_token(raw: str) -> str:
    letters = sum(c.isalpha() for c in raw)
    # In an upper-case word a lower-case "l" is a misread "I" ("lNTRUDER", "SHlFT").
    upper = sum(c.isupper() for c in raw)
    if upper >= 2 and all(c.isupper() or c == "l" for c in raw if c.isalpha()):
        raw = raw.replace("l", "I")
    token = raw.casefold().replace("vv", "w")
    digits = len(token) - letters
    # Digits inside a word are misread letters; a code like "B12" or "A320" keeps its digits.
    if digits and letters >= 3 and digits * 3 <= len(token):
        token = token.translate(_DIGIT_AS_LETTER)
    return token


def name_tokens(name: str) -> list[str]:
    """A name's words, case-folded, with common OCR confusions undone."""
    return [_fold_token(raw) for raw in _TOKEN.findall(name)]


def link_text(name: str) -> str:
    """The text whose embedding stands for an entity's name."""
    return " ".join(name_tokens(name)) or name.casefold()


def _identifier(token: str) -> bool:
    return len(token) <= MAX_IDENTIFIER_LEN or any(c.isdigit() for c in token)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (names are short: the quadratic table is cheap)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _allowed_edits(length: int) -> int:
    return 2 if length >= 10 else 1 if length >= 6 else 0


def same_name(a: str, b: str) -> bool:
    """Whether two names can be one name read twice (spacing, case, OCR slips), not two names."""
    ta, tb = name_tokens(a), name_tokens(b)
    if "".join(ta) == "".join(tb):
        return True
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        seg_a, seg_b = ta[i1:i2], tb[j1:j2]
        if not seg_a or not seg_b:  # a word more or fewer: "DOCK" is not "DOCK B"
            return False
        sa, sb = "".join(seg_a), "".join(seg_b)
        if sa == sb:  # words split or joined differently
            continue
        if any(_identifier(t) for t in seg_a + seg_b):
            return False
        if _edits(sa, sb) > _allowed_edits(min(len(sa), len(sb))):
            return False
    return True


class EntityLinker:
    """Decides, per event, which observed entities are stored ones seen again."""

    def __init__(
        self,
        store: EventGraphStore,
        embedder: Embedder,
        *,
        min_similarity: float = 0.5,
        candidates: int = 5,
        enabled: bool = True,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.candidates = candidates
        self.enabled = enabled
        self.model_id = f"{LINKER_MODEL}+{embedder.model_id}"

    def link(self, record: EventRecord) -> EventRecord:
        """The record with its entities' name vectors and the merges linking made."""
        # Same kind and normalised name (the id) as a stored entity: the same entity, whose name
        # vector is stored already. Only new names are embedded and compared.
        new = [e for e in record.entities if self.store.entity(e.id) is None]
        if not new:
            return record
        vectors = self.embedder.embed(link_text(e.name) for e in new)
        merges: list[EntityMerge] = []
        fresh: list[tuple[Entity, npt.NDArray[np.float32]]] = []  # new in this event, unlinked
        for entity, vector in zip(new, vectors, strict=True):
            if not self.enabled:
                continue  # (the name vector is still stored: linking can be turned on later)
            best = self._match(entity, vector, fresh)
            if best is None:
                fresh.append((entity, vector))
                continue
            merges.append(
                EntityMerge(
                    alias_id=entity.id,
                    canonical_id=best.entity.id,
                    score=round(best.score, 4),
                    event_id=record.event.id,
                    video_id=record.event.video_id,
                    model=self.model_id,
                )
            )
        named = {e.id: v.tolist() for e, v in zip(new, vectors, strict=True)}
        return record.model_copy(
            update={"vectors": record.vectors | named, "merges": [*record.merges, *merges]}
        )

    def _match(
        self,
        entity: Entity,
        vector: npt.NDArray[np.float32],
        fresh: list[tuple[Entity, npt.NDArray[np.float32]]],
    ) -> EntityHit | None:
        hits = self.store.entity_candidates(entity.kind, vector, k=self.candidates)
        hits += [
            EntityHit(entity=other, score=float(vector @ other_vec))
            for other, other_vec in fresh
            if other.kind is entity.kind
        ]
        accepted = [
            h
            for h in hits
            if h.entity.id != entity.id
            and h.score >= self.min_similarity
            and same_name(entity.name, h.entity.name)
        ]
        return max(accepted, key=lambda h: h.score, default=None)
