"""Detector conditions in monitoring rules (`people >= 2`): the file format and its errors.

How such rules fire on events with real detector signals: tests/integration/test_detectors.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avas.errors import InputError
from avas.monitor import load_rules
from avas.monitor.rules import SignalCondition


def test_signal_conditions_load_and_normalise(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - id: crowd\n"
        "    description: two or more people at the door\n"
        "    signals: [people >= 2, 'faces>0', 'foreground >= 0.5']\n"
    )
    (rule,) = load_rules(path)
    assert rule.signals == ["people >= 2", "faces > 0", "foreground >= 0.5"]
    assert rule.has_conditions
    assert [(c.signal, c.op, c.value) for c in rule.conditions] == [
        ("people", ">=", 2.0),
        ("faces", ">", 0.0),
        ("foreground", ">=", 0.5),
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("persons >= 2", "unknown signal 'persons'; known: people, faces, foreground, motion"),
        ("people >> 2", "is not '<signal> <op> <number>'"),
        ("people >= two", "is not '<signal> <op> <number>'"),
    ],
)
def test_bad_signal_conditions_name_the_rule_and_the_problem(
    tmp_path: Path, condition: str, message: str
) -> None:
    path = tmp_path / "rules.json"
    rule = {"id": "crowd", "description": "people", "signals": [condition]}
    path.write_text(json.dumps({"rules": [rule]}))
    with pytest.raises(InputError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert str(path) in text and "rules[0].signals (rule 'crowd')" in text, text
    assert message in text, text


def test_conditions_compare_and_a_missing_signal_never_holds() -> None:
    at_least_two = SignalCondition.parse("people >= 2")
    assert at_least_two.holds({"people": 2.0}) and not at_least_two.holds({"people": 1.0})
    assert not at_least_two.holds({"motion": 5.0})  # the people detector did not run
    assert SignalCondition.parse("motion < 2").holds({"motion": 1.5})
    assert SignalCondition.parse("faces == 1").holds({"faces": 1.0})
