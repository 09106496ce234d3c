"""Deterministic question analysis for the offline policy.

analyse("What text appeared right after 'LOADING DOCK B'?")
# -> QuestionAnalysis(intent="after", modality="text", anchor="LOADING DOCK B", ...)
"""

from __future__ import annotations

import re

from agents.state import Answer, Intent, Modality, QuestionAnalysis
from agents.timeparse import parse_window, strip_time_phrases
from avas.text import content_words

_SPEECH = re.compile(
    r"\b(say|says|said|saying|spoken|speak|speaks|speaker|speech|talk(?:s|ed)?"
    r"|voice|hear|heard|announce[sd]?|narrat\w*|word)\b",
    re.I,
)
_TEXT = re.compile(
    r"\b(text|written|writing|screen|on-screen|sign|title|caption|displayed|display|label"
    r"|banner|read|reads|words?\s+shown)\b",
    re.I,
)
_HINT_WORDS = frozenset(
    """speaker speech spoken speak speaks saying voice hear heard mention mentions mentioned
    talk talks talked announce announced announces narrator word words text written writing
    screen sign title caption displayed display label banner read reads right immediately
    just next following afterwards time times many much first last often""".split()
)
_MENTION = re.compile(r"\bmention(?:s|ed|ing)?\b", re.I)
_QUOTED = re.compile(r"[\"“”‘’']([^\"“”‘’']{2,})[\"“”‘’']")
_AFTER = re.compile(r"\b(?:right |just |immediately )?(?:after|following|next to)\b\s*(.*)", re.I)
_BEFORE = re.compile(
    r"\b(?:right |just |immediately )?(?:before|preceding|prior to)\b\s*(.*)", re.I
)
# "and right after that?", "what happened next?", "and before that?": about the last answer.
_FOLLOW_UP = re.compile(
    r"\b(?:(after|before) (?:that|this|it)|(?:and )?then\b|what (?:happened|came) (next|before))",
    re.I,
)
# "Who interacted with the forklift?", "What did the worker do with the pallet?": entity relations.
_RELATION = re.compile(
    r"^\s*(?:who|what|which)\b.*?\b(?:interact(?:s|ed|ing)?\s+with|relate[sd]?\s+to"
    r"|do(?:es)?\s+with|did\s+with|(?:was|were|is|are)\s+(?:near|with))\s+(.+)",
    re.I,
)
_COUNT = re.compile(r"\bhow (?:many|often)\b", re.I)
_SUMMARY = re.compile(r"\b(summar\w*|overview|what is (?:this|the) video about)\b", re.I)


def _phrase(tail: str) -> str | None:
    quoted = _QUOTED.search(tail)
    if quoted:
        return quoted.group(1).strip()
    words = re.sub(r"[?.!]+$", "", tail).strip()
    words = re.sub(r"^(?:the (?:text|words?|sentence|title)|text|saying)\s+", "", words, flags=re.I)
    words = re.sub(r"\s+(?:was|is|were)\s+(?:shown|said|displayed|spoken)$", "", words, flags=re.I)
    return words or None


def analyse(question: str, previous: Answer | None = None) -> QuestionAnalysis:
    """Intent, modality, anchor, keywords and time window; ``previous`` resolves follow-ups."""
    window = parse_window(question)
    q = strip_time_phrases(question.strip()) if window else question.strip()
    modality: Modality = "any"
    if _TEXT.search(q) and not _SPEECH.search(q):
        modality = "text"
    elif _SPEECH.search(q) and not _TEXT.search(q):
        modality = "speech"
    elif _MENTION.search(q) and not _TEXT.search(q):
        modality = "speech"  # "mention" means speech unless text is named ("text that mentions")

    follow = _FOLLOW_UP.search(q)
    if follow and previous is not None and previous.citations:
        # The anchor is what the last answer cited first, exactly that node.
        cited = previous.citations[0]
        before = (follow.group(1) or "").lower() == "before" or follow.group(2) == "before"
        return QuestionAnalysis(
            intent="before" if before else "after",
            modality=modality,
            anchor=cited.text,
            anchor_node=cited.node_id,
            keywords=[w for w in content_words(cited.text) if w not in _HINT_WORDS],
            window=window,
        )

    intent: Intent = "what"
    anchor: str | None = None
    if _COUNT.search(q):
        intent = "count"
    elif m := _AFTER.search(q):
        intent, anchor = "after", _phrase(m.group(1))
    elif m := _BEFORE.search(q):
        intent, anchor = "before", _phrase(m.group(1))
    elif m := _RELATION.search(q):
        intent, anchor = "relations", _phrase(m.group(1))
    elif _SUMMARY.search(q):
        intent = "summary"
    elif re.match(r"^\s*(when|at what time|what time)\b", q, re.I):
        intent = "when"

    if anchor is None and (quoted := _QUOTED.search(q)):
        anchor = quoted.group(1).strip()
    if intent == "count" and anchor is None:
        # "How many times did the red truck appear?" -> the words between the verb and the end.
        tail = re.sub(r"^.*?\bhow (?:many|often)\b(?:\s+times)?", "", q, flags=re.I)
        anchor = " ".join(w for w in content_words(tail) if w not in _HINT_WORDS) or None
    source = anchor if anchor and intent in ("after", "before", "count", "relations") else q
    keywords = [w for w in content_words(source) if w not in _HINT_WORDS]
    return QuestionAnalysis(
        intent=intent, modality=modality, anchor=anchor, keywords=keywords, window=window
    )
