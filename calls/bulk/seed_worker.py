"""Storing one chunk of synthetic calls, in the seeding process itself or in worker
processes (spawned, not forked: the parent may run threads).

Imports nothing from Django at module level, so a fresh interpreter can load it before
`django.setup()`; the generator arrives once, through the pool initializer, pickled: its
module imports the models, so it is unpickled only once Django is set up.
"""

from __future__ import annotations

_generator = None


def init(generator: bytes, database_name: str) -> None:
    """Set Django up, on the parent's database (which settings alone may not name: tests
    run against test_<name>), then unpickle the generator."""
    global _generator
    import pickle

    import django

    django.setup()
    from django.db import connections

    connections["default"].settings_dict["NAME"] = database_name
    _generator = pickle.loads(generator)


def pooled_chunk(job: tuple[int, int, int]) -> tuple[int, int]:
    """seed_chunk in a worker, with the generator its initializer unpickled."""
    return seed_chunk(_generator, *job)


def seed_chunk(generator, index: int, size: int, chunks: int) -> tuple[int, int]:
    """Store one chunk unless it is already there; return (rows written, chunk size)."""
    from django.db import transaction

    from calls.bulk.synthetic import COLUMNS
    from calls.writing import loading

    if loading.chunk_stored(generator.first_row(index, chunks), COLUMNS):
        return 0, size
    rows = generator.chunk(index, size, chunks)
    with transaction.atomic():
        loading.insert_rows(rows, COLUMNS, skip_existing=False)
    return len(rows), size
