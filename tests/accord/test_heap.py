"""A serving process keeps what start-up made out of the garbage collector's full collections (issue 14 §8):
each walked ~180,000 start-up objects more, 60-200 ms with the event loop stopped; and makes them rarer, so
a burst of sockets opening does not set off several in a row (accord.app.settle_heap says what it measured)."""

from __future__ import annotations

import gc

from litestar import Litestar

from accord.app import settle_heap


def test_start_up_ends_by_settling_the_heap(app: Litestar) -> None:
    # Last, so the working-day calendar (loaded at start-up) is settled too.
    assert app.on_startup[-1] is settle_heap


def test_settling_takes_every_object_alive_out_of_full_collections(app: Litestar) -> None:
    frozen_before = gc.get_freeze_count()
    gc.unfreeze()
    try:
        settle_heap(app)
        settled, walked = gc.get_freeze_count(), len(gc.get_objects())  # a full collection walks `walked` only
        assert settled > 50_000 and walked < settled / 100, (settled, walked)
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.freeze()


def test_settling_lets_100_middle_collections_pass_before_a_full_one(app: Litestar) -> None:
    young, middle, _full = before = gc.get_threshold()
    try:
        gc.set_threshold(young, middle, 10)  # CPython's default
        settle_heap(app)
        assert gc.get_threshold() == (young, middle, 100)
    finally:
        gc.set_threshold(*before)
