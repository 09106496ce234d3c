"""The vector matrix's int8 blocks give exactly the float32 search's answer: on real MiniLM
embeddings (the packaged model, offline) and on random unit vectors, every row's int8 score stays
within its bound, and the top 10 equal an exhaustive float64 search's (recall@10 = 1.0)."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from avas.errors import InputError
from avas.graph import vector_matrix
from avas.graph.base import SEARCHABLE
from avas.graph.vector_matrix import VectorMatrix
from graph_schema import NodeKind

KINDS = (NodeKind.EVENT, NodeKind.SPEECH, NodeKind.TEXT)
SUBJECTS = "truck forklift visitor guard crane ship train lecturer camera courier".split()
ACTIONS = "arrives at|leaves|waits near|blocks|inspects|walks past|repairs|films".split("|")
PLACES = (
    "the loading dock|the harbor gate|platform four|the night office|the storm drain|"
    "the ticket hall|the bridge|the parking lot"
).split("|")
TIMES = "at dawn|in heavy rain|after midnight|during the meeting|".split("|")


def _sentences() -> list[str]:
    return [
        f"A {s} {a} {p} {t}".strip()
        for s, a, p, t in itertools.product(SUBJECTS, ACTIONS, PLACES, TIMES)
    ]


@pytest.fixture(scope="module")
def embedded() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(rows, queries): MiniLM vectors of generated scene sentences and of held-out questions."""
    pytest.importorskip("sentence_transformers")
    from avas.perception.embed_sentence_transformers import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    texts = _sentences()  # 2,560 sentences
    questions = [
        "when did the truck reach the dock",
        "someone waiting at the harbour at night",
        "a crane being repaired in the rain",
        "who filmed the ticket hall",
        "the guard near the bridge after midnight",
        "a ship leaving the harbor",
        "visitors in the parking lot during a meeting",
        "a forklift blocking platform four",
    ]
    rows = np.asarray(embedder.embed(texts), np.float32)
    queries = np.asarray(embedder.embed(questions), np.float32)
    return rows, queries


def _filled(rows: npt.NDArray[np.float32], *, block_rows: int) -> VectorMatrix:
    matrix = VectorMatrix(block_rows=block_rows)
    matrix.load((f"r{i}", KINDS[i % 3], f"v{i % 2}", row.tobytes()) for i, row in enumerate(rows))
    return matrix


def _exhaustive(
    rows: npt.NDArray[np.float32], q: npt.NDArray[np.float32], k: int, keep: npt.NDArray[np.bool_]
) -> list[str]:
    scores = rows.astype(np.float64) @ q.astype(np.float64)
    scores[~keep] = -np.inf
    order = np.lexsort((np.arange(len(rows)), -scores))[: min(k, int(keep.sum()))]
    return [f"r{i}" for i in order]


def _check_bounds(
    matrix: VectorMatrix, rows: npt.NDArray[np.float32], q: npt.NDArray[np.float32]
) -> None:
    assert matrix._blocks, "no int8 block: the test would only exercise float32"
    for block in matrix._blocks:
        approx, bound = vector_matrix._scores(matrix._torch, q, block)
        exact = rows[block.start : block.start + len(block.err)] @ q
        assert np.all(np.abs(approx - exact) <= bound)


def test_real_embeddings_top10_equal_the_exhaustive_search(
    embedded: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
) -> None:
    rows, queries = embedded
    matrix = _filled(rows, block_rows=256)
    questions = list(queries) + list(rows[::97])  # held-out questions and stored sentences
    kind_of = np.arange(len(rows)) % 3
    video_of = np.arange(len(rows)) % 2
    everything = np.ones(len(rows), bool)
    for q in questions:
        got = [node_id for node_id, _ in matrix.search(q, k=10, kinds=SEARCHABLE)]
        assert matrix.packed_rows == len(rows)  # every row scored through its int8 copy
        assert got == _exhaustive(rows, q, 10, everything)
        speech_in_v1 = (kind_of == 1) & (video_of == 1)
        got = matrix.search(q, k=10, kinds=[NodeKind.SPEECH], video_id="v1")
        assert [node_id for node_id, _ in got] == _exhaustive(rows, q, 10, speech_in_v1)
        _check_bounds(matrix, rows, q)


def test_scores_are_the_float32_scores(
    embedded: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
) -> None:
    rows, queries = embedded
    matrix = _filled(rows, block_rows=256)
    for node_id, score in matrix.search(queries[0], k=5, kinds=SEARCHABLE):
        assert score == pytest.approx(float(rows[int(node_id[1:])] @ queries[0]), abs=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_unit_vectors_top10_equal_the_exhaustive_search(seed: int) -> None:
    # Random 384-dim unit vectors (what the store benchmark writes): scores crowd near 0, the
    # hardest case for a bound on the int8 error.
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(3000, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    matrix = _filled(rows, block_rows=512)
    everything = np.ones(len(rows), bool)
    for _ in range(30):
        q = rng.normal(size=384).astype(np.float32)
        q /= np.linalg.norm(q)
        got = [node_id for node_id, _ in matrix.search(q, k=10, kinds=SEARCHABLE)]
        assert got == _exhaustive(rows, q, 10, everything)
        _check_bounds(matrix, rows, q)


def test_without_the_int8_kernel_search_is_float32(
    monkeypatch: pytest.MonkeyPatch,
    embedded: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
) -> None:
    monkeypatch.setattr(vector_matrix, "_torch", lambda: None)
    rows, queries = embedded
    matrix = _filled(rows, block_rows=256)
    got = [node_id for node_id, _ in matrix.search(queries[1], k=10, kinds=SEARCHABLE)]
    assert matrix.packed_rows == 0
    assert got == _exhaustive(rows, queries[1], 10, np.ones(len(rows), bool))


def test_a_query_of_another_size_is_refused() -> None:
    matrix = VectorMatrix()
    matrix.put("a", NodeKind.EVENT, "v", np.ones(4, np.float32))
    with pytest.raises(
        InputError, match="query vector has 3 dimensions; the store's vectors have 4"
    ):
        matrix.search(np.ones(3, np.float32), k=1, kinds=SEARCHABLE)


def test_an_emptied_matrix_takes_vectors_of_another_size() -> None:
    matrix = VectorMatrix()
    matrix.put("old", NodeKind.EVENT, "v", np.ones(4, np.float32))
    matrix.put("odd", NodeKind.EVENT, "v", np.ones(3, np.float32))  # another model's: left out
    assert "odd" not in matrix
    matrix.remove({"old"})
    matrix.put("new", NodeKind.SPEECH, "v", np.asarray([0.0, 1.0, 0.0], np.float32))
    assert matrix.search(np.asarray([0.0, 1.0, 0.0], np.float32), k=3, kinds=SEARCHABLE) == [
        ("new", 1.0)
    ]
