"""`prefetched`: the same items in the same order, errors where they happened, no thread left behind."""

from __future__ import annotations

import threading
import time

import pytest

from mutualisation.matching.pipeline import prefetched


def test_items_come_in_order_and_all_of_them():
    assert list(prefetched(iter(range(1000)))) == list(range(1000))
    assert list(prefetched([])) == []


def test_the_producer_runs_ahead_by_at_most_depth_plus_one():
    made: list[int] = []

    def items():
        for i in range(20):
            made.append(i)
            yield i

    for used in prefetched(items(), depth=2):
        time.sleep(0.01)  # the producer has all the time it wants to run ahead
        assert len(made) <= used + 1 + 2 + 1  # the one used, `depth` waiting, one being put


def test_an_error_is_raised_at_the_item_that_failed():
    def items():
        yield 1
        yield 2
        raise ValueError("chunk 3 is broken")

    got = []
    with pytest.raises(ValueError, match="chunk 3"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_the_producer():
    before = threading.active_count()
    produced: list[int] = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    stream = prefetched(endless())
    assert next(stream) == 0
    stream.close()  # what a `for` loop left by an exception or a break does
    count = len(produced)
    time.sleep(0.05)
    assert len(produced) == count  # nothing is produced once the consumer is gone
    assert threading.active_count() == before


def test_the_work_runs_in_another_thread():
    main = threading.get_ident()

    def items():
        yield threading.get_ident()

    assert next(iter(prefetched(items()))) != main
