"""Blocks of a large matrix worked on by a few threads at once.

Pricing and the first candidates pass over every cell of the round's matrix in blocks
that are independent of each other, and their numpy operations release the GIL: on a
machine with two cores, pricing 6,000 × 6,000 takes 0.45 s instead of 0.65 s.
(Scoring blocks in two threads gained nothing, measured side by side.)
Results come back in block order, so nothing depends on which thread finished first,
and the answer is the one a single thread gives.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Each thread holds one block's temporaries (tens of MB), and past a few threads the
# passes are bound by memory bandwidth, not by cores.
MAX_WORKERS = 4


def workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def each_block(work: Callable[[T], R], blocks: Iterable[T]) -> list[R]:
    """`[work(b) for b in blocks]`, with up to `workers()` blocks at a time."""
    items = list(blocks)
    if workers() == 1 or len(items) < 2:
        return [work(b) for b in items]
    with ThreadPoolExecutor(max_workers=min(workers(), len(items))) as pool:
        return list(pool.map(work, items))
