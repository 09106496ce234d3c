"""Every Cypher statement AVAS ships parses, checked offline by Neo4j's own Cypher linter.

    node tests/cypher_lint/cypher_lint.mjs < items.json   # [{name, query}] -> [{name, errors}]

Needs Node 20+ and the npm package pinned in tests/cypher_lint/package.json, installed outside
the tracked tree (see that folder); without them these tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graph_schema.cypher import load_migrations, load_queries, migration_templates

ROOT = Path(__file__).resolve().parents[2]
LINTER = ROOT / "tests" / "cypher_lint" / "cypher_lint.mjs"
MODULES = Path(os.environ.get("CYPHER_LINT_MODULES", ROOT / "tests" / ".cypher-lint"))
PACKAGE = MODULES / "node_modules" / "@neo4j-cypher" / "language-support"
INSTALL = (
    "mkdir -p tests/.cypher-lint && cp tests/cypher_lint/package.json tests/.cypher-lint/ && "
    "npm install --prefix tests/.cypher-lint --no-package-lock --no-audit --no-fund"
)


def _lint(items: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the offline Cypher linter runs on Node 20+")
    if not PACKAGE.is_dir():
        pytest.skip(f"the Cypher linter is not installed under {MODULES}: run `{INSTALL}`")
    done = subprocess.run(
        [node, str(LINTER)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CYPHER_LINT_MODULES": str(MODULES)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["name"] for r in results] == [i["name"] for i in items]
    return {r["name"]: r for r in results}


def _shipped_statements() -> list[dict[str, str]]:
    items = [{"name": f"queries/{name}", "query": q} for name, q in load_queries().items()]
    # Lint the migrations both as written (the placeholder reads as a parameter) and as run.
    for migrations in (migration_templates(), load_migrations(vector_dimensions=384)):
        for migration in migrations:
            items += [
                {"name": f"migrations/{migration.id}[{i}]", "query": statement}
                for i, statement in enumerate(migration.statements)
            ]
    return list({item["name"] + item["query"]: item for item in items}.values())


def test_every_shipped_statement_lints_clean() -> None:
    items = _shipped_statements()
    assert len(items) > 30  # the loaders found the files
    results = _lint(items)
    problems = {
        name: r["errors"] + r["warnings"]
        for name, r in results.items()
        if r["errors"] or r["warnings"]
    }
    assert problems == {}


# Each is broken one way; the linter must flag every one, with the complaint given.
BROKEN = {
    "missing paren": ("MATCH (e:Event {id: $id} RETURN e.data AS data", "Invalid input"),
    "misspelled keyword": ("MACTH (e:Event {id: $id}) RETURN e.data AS data", "'MACTH'"),
    "misspelled clause": ("MERGE (n:Event {id: $id}) SETT n += $props", "'SETT'"),
    "unclosed string": ("MATCH (e:Event) RETURN e.text = 'unclosed AS t", "string literal"),
    "undefined variable": ("MATCH (e:Event) RETURN x.data AS data", "Variable `x` not defined"),
    "unclosed map in DDL": (
        "CREATE VECTOR INDEX v IF NOT EXISTS FOR (n:Searchable) ON n.embedding "
        "OPTIONS {indexConfig: {`vector.dimensions`: 384}",
        "Invalid input",
    ),
    "union columns differ": (
        "MATCH (e:Event) RETURN e.data AS data UNION MATCH (s:SpeechSegment) RETURN s.data AS d",
        "same return column names",
    ),
}


@pytest.fixture(scope="module")
def broken_results() -> dict[str, dict[str, Any]]:
    # One Node process for all of them: start-up dominates the cost of linting.
    return _lint([{"name": name, "query": query} for name, (query, _) in BROKEN.items()])


@pytest.mark.parametrize("name", list(BROKEN))
def test_linter_catches_broken_statements(
    name: str, broken_results: dict[str, dict[str, Any]]
) -> None:
    # Proves the check can fail: a linter that reported nothing would pass the test above.
    query, complaint = BROKEN[name]
    errors = broken_results[name]["errors"]
    assert errors, f"no error reported for {query!r}"
    assert any(complaint in e["message"] for e in errors), errors


def test_parameters_alone_are_not_errors() -> None:
    result = _lint([{"name": "ok", "query": "MATCH (e:Event {id: $id}) RETURN e.data AS data"}])
    assert result["ok"]["errors"] == []
