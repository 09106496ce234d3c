"""The Cypher that AVAS runs, kept in ``.cypher`` files: numbered migrations and named queries.

    migrations = load_migrations(vector_dimensions=384)  # [Migration(id="001_constraints", ...)]
    query = load_queries()["events_in_span"]             # one query per file, named by its stem

No statement is ever assembled from user input: values travel as query parameters. The one
exception to "parameters only" is the vector index's dimension, which index DDL cannot take as a
parameter on every Neo4j 5 version; it is checked to be a plain int before it is written in.
Standard library only, so the schema package can be read without any driver installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable

MAX_VECTOR_DIMENSIONS = 4096  # Neo4j 5's upper bound for `vector.dimensions`
_DIMENSIONS_PLACEHOLDER = "$vector_dimensions"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.cypher$")
_QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]*\.cypher$")


@dataclass(frozen=True)
class Migration:
    """One numbered migration file; ``id`` is its stem, e.g. ``002_indexes``."""

    id: str
    statements: tuple[str, ...]


def split_statements(text: str) -> list[str]:
    """Split a script at top-level ``;``: semicolons inside strings, quoted names or comments
    do not count, and comment-only blocks are dropped."""
    statements: list[str] = []
    current: list[str] = []
    has_code = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            end = i + 1
            while end < n and text[end] != ch:
                end += 2 if text[end] == "\\" and ch != "`" else 1
            current.append(text[i : end + 1])
            has_code = True
            i = end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            current.append(text[i:end])
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            current.append(text[i:end])
            i = end
        elif ch == ";":
            if has_code:
                statements.append("".join(current).strip())
            current, has_code = [], False
            i += 1
        else:
            current.append(ch)
            has_code = has_code or not ch.isspace()
            i += 1
    if has_code:
        statements.append("".join(current).strip())
    return statements


def _package_dir(name: str) -> Traversable:
    return resources.files("graph_schema").joinpath(name)


def migration_templates() -> list[Migration]:
    """The migration files as written (placeholders intact), in number order."""
    found: list[Migration] = []
    seen: set[str] = set()
    for entry in sorted(_package_dir("migrations").iterdir(), key=lambda e: e.name):
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            continue
        number = match.group(1)
        if number in seen:
            raise ValueError(f"two migrations are numbered {number}")
        seen.add(number)
        stem = entry.name.removesuffix(".cypher")
        found.append(Migration(id=stem, statements=tuple(split_statements(entry.read_text()))))
    return found


def _checked_dimensions(vector_dimensions: object) -> int:
    # bool is an int subclass: True would become "True", so refuse it explicitly.
    if type(vector_dimensions) is not int:
        raise ValueError(f"vector_dimensions must be an int, not {vector_dimensions!r}")
    if not 1 <= vector_dimensions <= MAX_VECTOR_DIMENSIONS:
        raise ValueError(
            f"vector_dimensions must be in 1..{MAX_VECTOR_DIMENSIONS}, not {vector_dimensions}"
        )
    return vector_dimensions


def render_migration(migration: Migration, *, vector_dimensions: int) -> Migration:
    """Fill the ``$vector_dimensions`` placeholder with a validated int's decimal text."""
    digits = str(_checked_dimensions(vector_dimensions))
    return Migration(
        id=migration.id,
        statements=tuple(s.replace(_DIMENSIONS_PLACEHOLDER, digits) for s in migration.statements),
    )


def load_migrations(*, vector_dimensions: int) -> list[Migration]:
    """Migrations ready to run, in number order."""
    return [render_migration(m, vector_dimensions=vector_dimensions) for m in migration_templates()]


def load_queries() -> dict[str, str]:
    """Every ``queries/*.cypher`` file by stem; each must hold exactly one statement."""
    queries: dict[str, str] = {}
    for entry in sorted(_package_dir("queries").iterdir(), key=lambda e: e.name):
        if not _QUERY_NAME.match(entry.name):
            continue
        statements = split_statements(entry.read_text())
        if len(statements) != 1:
            raise ValueError(f"{entry.name} must hold one statement, found {len(statements)}")
        queries[entry.name.removesuffix(".cypher")] = statements[0]
    return queries
