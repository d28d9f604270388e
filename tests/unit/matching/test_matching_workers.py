"""Blocks worked on in threads give exactly what one thread gives, in block order."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bot.matching import pricing, workers
from bot.matching.pricing import first_pairs, price
from bot.matching.relax import Duals, Shape


def test_results_come_back_in_block_order_though_later_blocks_finish_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "workers", lambda: 3)
    threads: set[int] = set()

    def work(block: int) -> int:
        threads.add(threading.get_ident())
        time.sleep(0.02 * (5 - block))  # the first block is the slowest
        return block * 10

    assert workers.each_block(work, range(6)) == [0, 10, 20, 30, 40, 50]
    assert len(threads) > 1  # it did run in several threads


def test_one_worker_runs_the_blocks_in_the_callers_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "workers", lambda: 1)
    seen: list[int] = []
    assert workers.each_block(lambda b: seen.append(threading.get_ident()) or b, range(3)) == [
        0,
        1,
        2,
    ]
    assert set(seen) == {threading.get_ident()}


def _round(seed: int) -> tuple[np.ndarray, np.ndarray, Shape, Duals]:
    """A 60 × 50 round with three `either` people, a third of the pairs forbidden, and
    many equal weights (ties are where an order could show)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 6, size=(60, 50)).astype(np.float64)
    weights[rng.random(weights.shape) < 0.35] = 0.0
    row_person = np.arange(60)
    col_person = np.concatenate([np.arange(3), 100 + np.arange(47)])
    weights[np.arange(3), np.arange(3)] = 0.0
    capacity = rng.integers(1, 3, size=50)
    shape = Shape.build(capacity, row_person, col_person)
    duals = Duals(rng.random(60) * 3, rng.random(50) * 3, 0.5)
    return weights, capacity, shape, duals


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pricing_in_blocks_across_threads_equals_one_block(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    weights, _, shape, duals = _round(seed)
    whole = price(weights, shape, duals, 40, add_per_row=3, keep_per_row=7)
    monkeypatch.setattr(workers, "workers", lambda: 4)
    monkeypatch.setattr(pricing, "BLOCK_CELLS", 150)  # blocks of 3 rows: 20 of them
    split = price(weights, shape, duals, 40, add_per_row=3, keep_per_row=7)
    assert split.bound == whole.bound
    assert np.array_equal(split.row_slack, whole.row_slack)
    assert np.array_equal(split.additions, whole.additions)
    assert np.array_equal(split.top_keys, whole.top_keys)
    assert np.array_equal(split.top_costs, whole.top_costs)
    assert len(whole.additions) > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_pairs_in_blocks_across_threads_equal_one_block(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    weights, capacity, _, _ = _round(seed)

    def pairs() -> np.ndarray:
        return first_pairs(weights, capacity, best=2, random=1, rng=np.random.default_rng(0))

    whole = pairs()
    monkeypatch.setattr(workers, "workers", lambda: 4)
    monkeypatch.setattr(pricing, "BLOCK_CELLS", 150)
    assert np.array_equal(pairs(), whole)
    assert len(whole) > 60
