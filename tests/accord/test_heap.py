"""A serving process keeps what start-up made out of the garbage collector's full collections (issue 14 §8):
each walked ~180,000 start-up objects more, 60-200 ms with the event loop stopped."""

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
