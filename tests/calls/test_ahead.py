"""run_ahead: the import's parsing thread hands over every item, in order, and its faults."""

import threading

import pytest

from calls.bulk.ahead import CHUNK, run_ahead


def test_it_yields_every_item_in_order():
    items = range(CHUNK * 3 + 7)
    assert list(run_ahead(items, ahead=CHUNK * 2)) == list(items)


def test_a_fault_of_the_producer_is_raised_after_the_items_before_it():
    def items():
        yield from range(CHUNK + 3)
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    seen = []
    with pytest.raises(UnicodeDecodeError):
        for item in run_ahead(items(), ahead=CHUNK):
            seen.append(item)
    assert seen == list(range(CHUNK + 3))


def test_closing_it_early_stops_the_producer():
    produced = []

    def items():
        for n in range(CHUNK * 100):
            produced.append(n)
            yield n

    ahead = run_ahead(items(), ahead=CHUNK)
    assert next(ahead) == 0
    ahead.close()
    assert not [t for t in threading.enumerate() if t.name == "import-parse"]
    assert len(produced) < CHUNK * 100
