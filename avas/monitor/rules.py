"""Monitoring rules: standing questions checked against every committed event.

    rules = load_rules(Path("rules.yaml")) + [rule_from_text("a forklift at the loading dock")]
    fired = RuleEvaluator(rules, embedder).evaluate(record, stream="dock")

Rules file (YAML, or JSON with the same shape; a bare list of rules is accepted too)::

    rules:
      - id: intruder                       # letters, digits, '.', '_', '-'; unique in the file
        description: someone holds up an INTRUDER sign   # the standing question, in words
        text_contains: [INTRUDER]          # on-screen text (OCR)
        speech_contains: [help, "call security"]         # what is said (ASR)
        keywords: [forklift]               # anywhere: description, on-screen text or speech
        signals: ["people >= 2"]           # detector/visual signals of the event, all must hold
        min_similarity: 0.5                # cosine threshold when no condition above is given
        streams: [dock, udp://0.0.0.0:5000]  # stream names or URLs; omitted = every stream
        cooldown_s: 60                     # no second alert for this rule+stream within this

Matching is case-, space- and punctuation-insensitive (``normalize_name``): OCR often drops
spaces, so "CALLSECURITY" on screen matches ``call security``. Within one list any entry may
match; every list given must match. A rule with no list fires when the embedding similarity
between its description and any of the event's vectors (description, speech, on-screen text)
reaches ``min_similarity``.

``signals`` conditions read ``<signal> <op> <number>`` with op one of >=, >, <=, <, ==; every
condition must hold. Signals: ``people`` and ``faces`` (the most the OpenCV detectors saw at once
in the event), ``foreground`` (share of frames with foreground, 0-1) and ``motion`` (mean frame
change, 0-255). An event without the signal (its detector is off) never satisfies it.
A ``RuleVerifier`` (e.g. an LLM looking at the keyframe) may
confirm or veto each firing; none runs offline.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from avas.errors import DependencyError, InputError
from avas.ingest.base import RGBImage
from avas.perception.base import Embedder
from graph_schema import EventRecord, normalize_name

_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_CONDITION = re.compile(r"^\s*([A-Za-z_]+)\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
# Event signals a rule may test: the detectors' counts and the visual levels (avas.pipeline).
SIGNALS = ("people", "faces", "foreground", "motion")


class SignalCondition(BaseModel):
    """``people >= 2``: an event signal compared with a number."""

    model_config = ConfigDict(frozen=True)

    signal: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> SignalCondition:
        found = _CONDITION.match(text)
        if not found:
            raise ValueError(
                f"{text!r} is not '<signal> <op> <number>' (e.g. 'people >= 2'; "
                f"ops: {', '.join(_OPS)})"
            )
        name, op, number = found.groups()
        if name.lower() not in SIGNALS:
            raise ValueError(f"{text!r}: unknown signal {name!r}; known: {', '.join(SIGNALS)}")
        return cls(signal=name.lower(), op=op, value=float(number))

    def holds(self, signals: dict[str, float]) -> bool:
        value = signals.get(self.signal)
        return value is not None and _OPS[self.op](value, self.value)

    def __str__(self) -> str:
        return f"{self.signal} {self.op} {self.value:g}"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="unique name, used in alerts and file names")
    description: str = Field(min_length=1, description="the standing question, in plain words")
    keywords: list[str] = Field(default_factory=list)
    text_contains: list[str] = Field(default_factory=list)
    speech_contains: list[str] = Field(default_factory=list)
    signals: list[str] = Field(
        default_factory=list, description="e.g. 'people >= 2', 'faces >= 1'; all must hold"
    )
    min_similarity: float = Field(0.5, ge=-1, le=1)
    streams: list[str] | None = None
    cooldown_s: float = Field(60, ge=0)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError(f"{value!r} is not 1-80 letters, digits, '.', '_' or '-'")
        return value

    @field_validator("keywords", "text_contains", "speech_contains")
    @classmethod
    def _matchable(cls, values: list[str]) -> list[str]:
        for value in values:
            if not normalize_name(value):
                raise ValueError(f"{value!r} has no letters or digits to match")
        return values

    @field_validator("signals")
    @classmethod
    def _conditions(cls, values: list[str]) -> list[str]:
        return [str(SignalCondition.parse(value)) for value in values]

    @property
    def conditions(self) -> list[SignalCondition]:
        return [SignalCondition.parse(value) for value in self.signals]

    @property
    def has_conditions(self) -> bool:
        return bool(self.keywords or self.text_contains or self.speech_contains or self.signals)

    def watches(self, stream: str, uri: str | None = None) -> bool:
        return self.streams is None or stream in self.streams or (uri in self.streams)


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule]

    @model_validator(mode="after")
    def _unique_ids(self) -> RulesFile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return self


MatchKind = Literal["text", "speech", "keyword", "signal", "similarity", "verifier"]


class Match(BaseModel):
    """One reason a rule fired."""

    kind: MatchKind
    value: str = Field(description="what matched: the on-screen text, the words, the node id")
    condition: str | None = Field(None, description="the rule's entry that matched it")
    score: float | None = None


class Verdict(BaseModel):
    confirmed: bool
    reason: str = ""


class RuleVerifier(Protocol):
    """A second opinion on a firing (e.g. a VLM asked the rule's question about the keyframe).

    The seam only: nothing offline implements it. Returning ``confirmed=False`` drops the firing.
    """

    def verify(self, rule: Rule, record: EventRecord, keyframe: RGBImage | None) -> Verdict: ...


def _format_location(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read rules file {path}: {exc.strerror or exc}") from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON: {exc}") from exc
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover
        raise DependencyError("YAML rules need PyYAML: pip install pyyaml (or use .json)") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from exc


def load_rules(path: Path) -> list[Rule]:
    """Rules from a YAML or JSON file; errors name the file, the field and what is wrong."""
    document = _read_document(path)
    if isinstance(document, list):
        document = {"rules": document}
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a mapping with 'rules:' (or a list of rules)")
    try:
        return RulesFile.model_validate(document).rules
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = _format_location(loc)
            if loc[:1] == ["rules"] and len(loc) >= 2 and isinstance(loc[1], int):
                rules = document.get("rules")
                entry = rules[loc[1]] if isinstance(rules, list) else None
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    where += f" (rule {entry['id']!r})"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"unknown field; allowed: {', '.join(Rule.model_fields)}"
            problems.append(f"{where}: {message}")
        raise InputError(f"{path}: invalid rules: " + "; ".join(problems)) from None


def rule_from_text(text: str, *, index: int = 1) -> Rule:
    """A similarity rule from a plain sentence (``--rule "a person at the side door"``)."""
    text = text.strip()
    if not text:
        raise InputError("--rule needs some words describing what to watch for")
    slug = "-".join(re.findall(r"[a-z0-9]+", text.lower())[:6])[:60] or "rule"
    return Rule(id=f"rule{index}-{slug}", description=text)


class RuleEvaluator:
    """Checks every rule against one event; rule descriptions are embedded once, up front."""

    def __init__(
        self, rules: Sequence[Rule], embedder: Embedder, verifier: RuleVerifier | None = None
    ) -> None:
        self.rules = list(rules)
        self.embedder = embedder
        self.verifier = verifier
        vectors = embedder.embed([r.description for r in self.rules]) if self.rules else None
        self._vectors: dict[str, npt.NDArray[np.float32]] = (
            {r.id: vectors[i] for i, r in enumerate(self.rules)} if vectors is not None else {}
        )

    def evaluate(
        self,
        record: EventRecord,
        *,
        stream: str,
        uri: str | None = None,
        keyframe: RGBImage | None = None,
    ) -> dict[str, list[Match]]:
        """Rule id -> why it fired, for the rules (watching this stream) that fired."""
        texts = {t.text: normalize_name(t.text) for t in record.texts}
        speech = {s.text: normalize_name(s.text) for s in record.speech}
        anywhere = {record.event.description: normalize_name(record.event.description)}
        anywhere |= texts | speech
        node_vectors = (
            np.asarray(list(record.vectors.values()), dtype=np.float32)
            if record.vectors and record.embedding_model in ("", self.embedder.model_id)
            else None
        )
        node_ids = list(record.vectors)
        fired: dict[str, list[Match]] = {}
        for rule in self.rules:
            if not rule.watches(stream, uri):
                continue
            similarity: Match | None = None
            if node_vectors is not None and node_vectors.shape[1] == len(self._vectors[rule.id]):
                scores = node_vectors @ self._vectors[rule.id]
                best = int(np.argmax(scores))
                similarity = Match(
                    kind="similarity", value=node_ids[best], score=round(float(scores[best]), 4)
                )
            if rule.has_conditions:
                matches: list[Match] = []
                ok = True
                checks: list[tuple[MatchKind, list[str], dict[str, str]]] = [
                    ("text", rule.text_contains, texts),
                    ("speech", rule.speech_contains, speech),
                    ("keyword", rule.keywords, anywhere),
                ]
                for kind, wanted, haystack in checks:
                    if not wanted:
                        continue
                    found = _find(kind, wanted, haystack)
                    ok = ok and bool(found)
                    matches += found
                for cond in rule.conditions:
                    if not cond.holds(record.event.signals):
                        ok = False
                        break
                    value = record.event.signals[cond.signal]
                    matches.append(
                        Match(
                            kind="signal",
                            value=f"{cond.signal}={value:g}",
                            condition=str(cond),
                            score=value,
                        )
                    )
                if not ok:
                    continue
                if similarity is not None:
                    matches.append(similarity)  # context only: explicit conditions decide
            elif similarity is not None and similarity.score is not None:
                if similarity.score < rule.min_similarity:
                    continue
                matches = [similarity]
            else:
                continue
            if self.verifier is not None:
                verdict = self.verifier.verify(rule, record, keyframe)
                if not verdict.confirmed:
                    continue
                matches.append(Match(kind="verifier", value=verdict.reason or "confirmed"))
            fired[rule.id] = matches
        return fired


def _find(kind: MatchKind, wanted: list[str], haystack: dict[str, str]) -> list[Match]:
    found = []
    for condition in wanted:
        key = normalize_name(condition)
        for original, normalised in haystack.items():
            if key in normalised:
                found.append(Match(kind=kind, value=original, condition=condition))
                break
    return found
