"""Seeding worker processes (spawned, not forked: the parent may run threads).

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


def seed_chunk(job: tuple[int, int, int]) -> tuple[int, int]:
    from calls.bulk.seed import seed_chunk

    return seed_chunk(_generator, *job)
