"""Deterministic question analysis for the offline policy.

analyse("What text appeared right after 'LOADING DOCK B'?")
# -> QuestionAnalysis(intent="after", modality="text", anchor="LOADING DOCK B", ...)
"""

from __future__ import annotations

import re
from typing import Literal

from agents.state import Answer, Intent, Modality, QuestionAnalysis
from agents.timeparse import parse_window, strip_time_phrases
from avas.text import content_words

_SPEECH = re.compile(
    r"\b(say|says|said|saying|spoken|speak|speaks|speaker|speech|talk(?:s|ed)?"
    r"|voice|hear|heard|announce[sd]?|narrat\w*|word|addressed|called|told|asked|urged?"
    r"|recit\w*|quot\w*)\b",
    re.I,
)
_TEXT = re.compile(
    r"\b(text|written|writing|screen|on-screen|sign|title|caption|displayed|display|label"
    r"|banner|read|reads|words?\s+shown)\b",
    re.I,
)
_HINT_WORDS = frozenset(
    """speaker speech spoken speak speaks spoke saying voice hear heard mention mentions mentioned
    talk talks talked announce announced announces narrator word words text written writing
    screen sign title caption displayed display label banner read reads right immediately
    just next following afterwards time times many much first last often command commands
    instruction instructions line remark reading phrase sentence statement according someone
    somebody anyone anybody""".split()
)
_CATEGORY_NOUNS = frozenset("colour color word name letter number digit phrase thing".split())
# Honorifics are not names to match: recognisers write them in many ways ("Mrs.", "Missus").
_TITLES = frozenset("mr mrs miss ms dr mister missus sir madam".split())
_NAME = re.compile(r"(?<![\w'])([A-Z][a-z]{2,}(?:'s)?)\b")
_ATTRIBUTE = re.compile(
    r"\bwhat\s+(colou?r|brand|make|model|size|shape|kind|type|pattern|material)\b(?:\s+of)?"
    r"\s+(?:is|are|was|were|does|do|did|has|have)?\s*(?:the\s+|a\s+|an\s+|this\s+|that\s+)?"
    r"(.+)",
    re.I,
)
_WRITTEN_ON = re.compile(
    r"\b(?:written|printed|painted|shown)\s+on\s+(?:the\s+|a\s+|an\s+)?(.+)", re.I
)
_ABOUT = re.compile(r"\b(?:about|regarding|concerning)\s+(?:the\s+|a\s+|an\s+)?(.+)", re.I)
_WHICH_FIRST = re.compile(
    r"\bwhich\s+(?:came|happened|was|comes|happens|occurred|one\s+came)\s+first\b[,:]?\s*"
    r"(.+?)\s+or\s+(.+)",
    re.I,
)
_BEFORE_OR_AFTER = re.compile(
    r"^\s*(?:was|were|did|is|are|does|do)\s+(.+?)\s+(?:\w+\s+)?before\s+or\s+after\s+(.+)",
    re.I,
)
_PEOPLE = re.compile(
    r"\b(someone|somebody|anyone|anybody|person|people|persons|man|men|woman|women|boy|girl"
    r"|child|children|kids?|visitors?|crowd|humans?|faces?)\b",
    re.I,
)
_FACE = re.compile(r"\bfaces?\b", re.I)


def _names(question: str) -> list[str]:
    """Capitalised words that are not the question's first word: names to find, as heard."""
    unquoted = _QUOTED.sub(" ", question)
    first = re.match(r"\s*(\w+)", unquoted)
    names = []
    for m in _NAME.finditer(unquoted):
        word = m.group(1).removesuffix("'s").lower()
        if first and m.start() == first.start(1):
            continue
        if word not in _TITLES and word not in _HINT_WORDS:
            names.append(word)
    return list(dict.fromkeys(names))


def keywords_of(text: str) -> list[str]:
    """Content words of ``text`` without the words that only say where to look."""
    words = (w.removesuffix("'s") for w in content_words(text))
    return list(dict.fromkeys(w for w in words if w not in _HINT_WORDS and w != "one"))


_words = keywords_of


def _people_question(q: str, modality: Modality) -> Literal["when", "first", "count", "any"] | None:
    """What a question about people asks, or None when it asks about something else."""
    if modality != "any" or not _PEOPLE.search(q) or _ATTRIBUTE.search(q):
        return None
    if _COUNT.search(q):
        return "count"
    if re.search(r"\bfirst\b", q, re.I):
        return "first"
    if re.match(r"^\s*(when|at what time|what time)\b", q, re.I):
        return "when"
    if re.match(r"^\s*(is|are|was|were|does|do|did|can|could)\b", q, re.I):
        return "any"
    return None


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
    names = _names(q)
    people = _people_question(q, modality)
    if (first := _WHICH_FIRST.search(q)) or (first := _BEFORE_OR_AFTER.search(q)):
        sides = [_phrase(first.group(1)) or "", _phrase(first.group(2)) or ""]
        return QuestionAnalysis(
            intent="first",
            modality=modality,
            # "Was A before or after B?" is about A; "Which came first, A or B?" about both
            anchor=sides[0] if first.re is _BEFORE_OR_AFTER else None,
            keywords=_words(" ".join(sides)),
            window=window,
            sides=sides,
            names=names,
        )
    if people is not None:
        return QuestionAnalysis(
            intent="people",
            modality=modality,
            keywords=_words(q),
            window=window,
            people=people,
            faces=bool(_FACE.search(q)),
        )
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
    keywords = _words(source)
    focus: list[str] = []
    attribute: str | None = None
    if m := _ATTRIBUTE.search(q):
        attribute = m.group(1).lower()
        focus = _words(m.group(2))[:1]  # the head noun: "the umbrella the woman holds"
    elif m := _WRITTEN_ON.search(q):
        attribute = "text"
        focus = _words(m.group(1))[:1]
    elif (m := _ABOUT.search(q)) and intent in ("what", "when"):
        focus = _words(m.group(1))
    if intent == "count" and len(keywords) > 1:
        # "How many times is the colour blue said?": count "blue", not "colour" and "blue"
        keywords = [w for w in keywords if w not in _CATEGORY_NOUNS] or keywords
    if intent == "count" and not keywords and anchor:
        keywords = re.findall(r"[0-9a-z]+", anchor.lower())  # "how many times is 'again' said"
    return QuestionAnalysis(
        intent=intent,
        modality=modality,
        anchor=anchor,
        keywords=keywords,
        window=window,
        focus=[w for w in focus if w not in names],
        names=[n for n in names if n in keywords],
        attribute=attribute,
    )
