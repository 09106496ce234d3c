"""The embedded store's searchable vectors: one contiguous float32 matrix, searched exactly.

    vectors = VectorMatrix()
    vectors.put("v/sp/1", NodeKind.SPEECH, "v", vec)   # append, or replace the row in place
    vectors.search(query, k=10, kinds=SEARCHABLE, video_id=None)  # [(node id, score)], best first
    vectors.remove({"v/sp/1"})

Why not one float32 matrix-vector product per query: at 100k events (300k rows x 384) that reads
460 MB and is bound by memory bandwidth (~60-110 ms here). Once BLOCK_ROWS rows have no int8 copy,
the next search gives them one (a block: an int8 matrix and a scale per row, no repacking), scored
from then on by torch's int8-weight kernel (a quarter of the bytes). Every int8 score comes with
a proven bound on its error, so the rows that could still be among the k best are known; only
those are scored again in float32. The answer is the float32 search's (the same rows, the same
scores), not an approximation. Rows appended since the last block, rows replaced since, and
machines where the kernel is missing or breaks the bound are scored in float32 directly.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from avas.errors import InputError
from graph_schema import NodeKind

# Rows without an int8 copy that make the next search copy them (~5 float32 scans of those rows):
# smaller stores are scored in float32 alone, and never import torch.
BLOCK_ROWS = 65_536
_CHUNK_ROWS = 16_384  # quantizing works through this many rows at a time (bounded temporaries)
# The kernel rounds its output to bfloat16 (2^-9 of |q'| |x'|) after float32 accumulation; float32
# rounding of the reference scores adds < 1e-4 of |q| |x|. 2^-8 of |q| |x'| covers both.
_OUTPUT_ERR = 2.0**-8
_KIND_CODES = {kind: code for code, kind in enumerate(NodeKind)}
F32 = npt.NDArray[np.float32]


@dataclass
class _Block:
    """The int8 copy of rows [start, start + len(err)): any number of rows, at least BLOCK_ROWS."""

    start: int
    ints: npt.NDArray[np.int8]  # the rows as int8, times scale = their dequantized value
    scale: Any  # per row, a bfloat16 torch tensor (the kernel's operand)
    err: F32  # per row: |x - dequantized x| (inf: the row changed since; scored exactly)
    norm: F32  # per row: |dequantized x|
    changed: int = 0  # rows replaced since it was packed


def _torch() -> Any | None:
    """torch, where it has the int8-weight kernel (a private op: a build without it gets None)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is part of the default install
        return None
    return torch if hasattr(torch.ops.aten, "_weight_int8pack_mm") else None


def _int8(rows: F32, start: int) -> _Block:
    """The int8 copy of these float32 rows, each with its own scale, and each row's bound terms."""
    import torch

    ints = np.empty(rows.shape, np.int8)
    scale = np.empty(len(rows), np.float32)
    err = np.empty(len(rows), np.float32)
    norm = np.empty(len(rows), np.float32)
    for first in range(0, len(rows), _CHUNK_ROWS):
        part = slice(first, first + _CHUNK_ROWS)
        x = rows[part]
        # The scale rounded up to a bfloat16 (the kernel's type: exact there), so |x| / scale <=
        # 127 and the int8 values times the scale are exact in float32.
        bits = (np.abs(x).max(axis=1) / 127).view(np.uint32)
        s = ((bits + 0xFFFF) & 0xFFFF0000).view(np.float32)
        s[s == 0] = 1.0  # an all-zero row: any scale is exact
        ints[part] = np.rint(x / s[:, None])
        plain = ints[part] * s[:, None]
        diff = x - plain
        scale[part] = s
        err[part] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        norm[part] = np.sqrt(np.einsum("ij,ij->i", plain, plain))
    bf16 = torch.from_numpy(scale).bfloat16()
    return _Block(start=start, ints=ints, scale=bf16, err=err, norm=norm)


def _scores(torch: Any, query: F32, block: _Block) -> tuple[F32, F32]:
    """The block's int8 scores for ``query`` and each score's error bound."""
    q = torch.from_numpy(query).unsqueeze(0).bfloat16()
    approx = torch.ops.aten._weight_int8pack_mm(q, torch.from_numpy(block.ints), block.scale)
    q_norm = float(np.linalg.norm(query))
    q_err = float(np.linalg.norm(query - q.float().numpy()[0]))  # the query's bfloat16 rounding
    # |q.x - approx| <= |q| |x - x'| + |q - q'| |x'| + the output's rounding (x', q': the
    # dequantized row and the bfloat16 query)
    bound = q_norm * block.err + (q_err + _OUTPUT_ERR * q_norm) * block.norm
    # bfloat16 is float32's upper half: widening in numpy is one pass (torch's .float() was 5x that)
    upper_half = approx.view(torch.int16).numpy()[0].astype(np.int32) << 16
    return upper_half.view(np.float32), bound


def _holds(torch: Any, rows: F32, block: _Block) -> bool:
    """Whether the kernel keeps to the bound here, on a few rows and a fixed query: a build that
    accumulates in less than float32 would not, and its int8 copies are then not used."""
    probe = np.random.default_rng(0).standard_normal((1, rows.shape[1]), np.float32)[0]
    few = _Block(0, block.ints[:512], block.scale[:512], block.err[:512], block.norm[:512])
    approx, bound = _scores(torch, probe, few)
    return bool(np.all(np.abs(approx - rows[:512] @ probe) <= bound))


class VectorMatrix:
    """Searchable vectors of one dimension (the first row's), with each row's kind and video."""

    def __init__(self, *, block_rows: int | None = None) -> None:
        self._block_rows = BLOCK_ROWS if block_rows is None else block_rows
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._rows: F32 = np.empty((0, 0), np.float32)  # capacity x dim; the first n are live
        self._kinds = np.empty(0, np.int8)
        self._videos = np.empty(0, np.int32)
        self._video_codes: dict[str | None, int] = {}
        self._blocks: list[_Block] = []
        self._torch: Any | None = None  # set on first packing
        self._int8 = True  # False where the int8 kernel is missing or misses its bound

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._pos

    @property
    def packed_rows(self) -> int:
        """Rows with an int8 copy (the rest are scored in float32 alone)."""
        return self._blocks[-1].start + len(self._blocks[-1].err) if self._blocks else 0

    def load(self, rows: Iterable[tuple[str, NodeKind, str | None, bytes]]) -> None:
        """Put many rows (a store opening). Into an empty matrix they go as one buffer, without a
        copy per row."""
        if self._ids:
            for node_id, kind, video_id, blob in rows:
                self.put(node_id, kind, video_id, np.frombuffer(blob, np.float32))
            return
        ids: list[str] = []
        kinds: list[int] = []
        videos: list[int] = []
        blobs: list[bytes] = []
        for node_id, kind, video_id, blob in rows:
            if blobs and len(blob) != len(blobs[0]):
                continue  # another embedding model's vector: see put
            ids.append(node_id)
            kinds.append(_KIND_CODES[kind])
            videos.append(self._video_codes.setdefault(video_id, len(self._video_codes)))
            blobs.append(blob)
        if blobs:
            # bytearray: writable (rows are replaced in place), and joined without a second copy
            matrix = np.frombuffer(bytearray().join(blobs), np.float32)
            self._rows = matrix.reshape(len(blobs), -1)
            self._ids = ids
            self._pos = {node_id: i for i, node_id in enumerate(ids)}
            self._kinds = np.asarray(kinds, np.int8)
            self._videos = np.asarray(videos, np.int32)

    def put(self, node_id: str, kind: NodeKind, video_id: str | None, vec: F32) -> None:
        row = np.asarray(vec, dtype=np.float32).ravel()
        if self._ids and len(row) != self._rows.shape[1]:
            # Another embedding model's vector cannot be compared with this matrix's queries.
            self.remove({node_id})
            return
        kind_code = _KIND_CODES[kind]
        video_code = self._video_codes.setdefault(video_id, len(self._video_codes))
        i = self._pos.get(node_id)
        if i is None:
            i = len(self._ids)
            self._grow(i + 1, len(row))
            self._ids.append(node_id)
            self._pos[node_id] = i
        else:
            packed = self._block_of(i)
            if packed is not None:  # its int8 copy is stale now: score it exactly from now on
                packed.err[i - packed.start] = np.inf
                packed.changed += 1
        self._rows[i] = row
        self._kinds[i] = kind_code
        self._videos[i] = video_code

    def remove(self, node_ids: Collection[str]) -> None:
        gone = sorted(self._pos[node_id] for node_id in node_ids if node_id in self._pos)
        if not gone:
            return
        n = len(self._ids)
        keep = np.ones(n, bool)
        keep[gone] = False
        self._rows = self._rows[:n][keep]
        self._kinds = self._kinds[:n][keep]
        self._videos = self._videos[:n][keep]
        self._ids = [self._ids[i] for i in np.flatnonzero(keep).tolist()]
        self._pos = {node_id: i for i, node_id in enumerate(self._ids)}
        # Rows after the first removed one moved: their blocks are packed again when next needed.
        self._blocks = [b for b in self._blocks if b.start + len(b.err) <= gone[0]]

    def search(
        self,
        query: F32,
        *,
        k: int,
        kinds: Sequence[NodeKind],
        video_id: str | None = None,
    ) -> list[tuple[str, float]]:
        """The k rows of these kinds (and video) with the largest dot product with ``query``,
        best first (ties: the earlier row first)."""
        n = len(self._ids)
        if n == 0 or k <= 0:
            return []
        q = np.array(query, dtype=np.float32).ravel()  # a copy: torch wants a writable array
        if len(q) != self._rows.shape[1]:
            raise InputError(
                f"query vector has {len(q)} dimensions; the store's vectors have "
                f"{self._rows.shape[1]}"
            )
        wanted_kinds = np.zeros(len(_KIND_CODES), bool)
        wanted_kinds[[_KIND_CODES[NodeKind(kind)] for kind in kinds]] = True
        wanted = wanted_kinds[self._kinds[:n]]
        if video_id is not None:
            wanted &= self._videos[:n] == self._video_codes.get(video_id, -1)
        found = np.flatnonzero(wanted)
        self._pack()
        if len(found) > k and self._blocks and q.any():  # (a zero query: every score 0)
            found = self._candidates(q, found if len(found) < n else None, k)
        scores = self._rows[found] @ q if len(found) < n else self._rows[:n] @ q
        if len(found) > k:  # the k best without sorting every row
            best = np.argpartition(-scores, k - 1)[:k]
            found, scores = found[best], scores[best]
        order = np.lexsort((found, -scores))
        best_rows, best_scores = found[order].tolist(), scores[order].tolist()
        return [(self._ids[i], s) for i, s in zip(best_rows, best_scores, strict=True)]

    def _candidates(
        self, q: F32, found: npt.NDArray[np.intp] | None, k: int
    ) -> npt.NDArray[np.intp]:
        """The rows of ``found`` (None: all) whose float32 score could be among the k best, by
        the int8 scores and their error bounds."""
        n = len(self._ids)
        lower = np.empty(n, np.float32)
        upper = np.empty(n, np.float32)
        packed = self.packed_rows
        tail = self._rows[packed:n] @ q
        lower[packed:], upper[packed:] = tail, tail
        for block in self._blocks:
            end = block.start + len(block.err)
            approx, bound = _scores(self._torch, q, block)
            np.subtract(approx, bound, out=lower[block.start : end])
            np.add(approx, bound, out=upper[block.start : end])
        # At least k rows score >= the k-th largest lower bound: a row whose upper bound is below
        # it cannot be among the k best.
        lows = lower if found is None else lower[found]
        floor = np.partition(lows, len(lows) - k)[len(lows) - k]
        if found is None:
            return np.flatnonzero(upper >= floor)
        return found[upper[found] >= floor]

    def _pack(self) -> None:
        """Give the rows after the last block their int8 copy once there are BLOCK_ROWS of them,
        and pack again a block that replaced rows made mostly float32 work."""
        n = len(self._ids)
        stale = [i for i, b in enumerate(self._blocks) if b.changed * 8 > len(b.err)]
        if not self._int8 or (n - self.packed_rows < self._block_rows and not stale):
            return
        if self._torch is None:
            self._torch = _torch()
            if self._torch is None:
                self._int8 = False
                return
        for i in stale:
            start, end = self._blocks[i].start, self._blocks[i].start + len(self._blocks[i].err)
            self._blocks[i] = _int8(self._rows[start:end], start)
        if n - self.packed_rows >= self._block_rows:
            start = self.packed_rows
            block = _int8(self._rows[start:n], start)
            if not _holds(self._torch, self._rows[start:n], block):
                self._int8, self._blocks = False, []
                return
            self._blocks.append(block)

    def _block_of(self, i: int) -> _Block | None:
        b = bisect.bisect_right([block.start for block in self._blocks], i) - 1
        if b < 0 or i >= self._blocks[b].start + len(self._blocks[b].err):
            return None
        return self._blocks[b]

    def _grow(self, rows: int, dim: int) -> None:
        if rows <= len(self._rows):
            return
        n = len(self._ids)
        capacity = max(rows, 2 * len(self._rows), 1024)
        grown = np.empty((capacity, dim), np.float32)
        if n:
            grown[:n] = self._rows[:n]
        self._rows = grown
        self._kinds = np.concatenate([self._kinds[:n], np.zeros(capacity - n, np.int8)])
        self._videos = np.concatenate([self._videos[:n], np.zeros(capacity - n, np.int32)])
