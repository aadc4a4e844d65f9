"""Seed: realistic synthetic calls for demos and the benchmark (seed_calls).

Deterministic for the same arguments; each chunk is one transaction and a chunk already
stored is skipped, so a run can be interrupted at any moment and run again.
"""

from __future__ import annotations

import multiprocessing
import pickle
import random
from datetime import UTC, datetime, timedelta

from django.db import connection

from accounts.models import Account
from accounts.services import account_create
from calls.bulk import seed_worker
from calls.bulk.progress import Progress
from calls.bulk.synthetic import CHUNK, MIXED, CallGenerator
from calls.store import partitions


def seed_accounts(*, count: int, seed: int = 0) -> tuple[list[int], list[float]]:
    """Create `count` accounts with a skewed share of traffic; return (ids, weights).

    The first is a main account whose tree (itself and up to 5 subaccounts, about a tenth
    of `count`) carries ~30% of calls; the rest share 70% by a Zipf law, as real customer
    bases do.
    """
    rng = random.Random(f"{seed}-accounts")
    big = _seeded_account(f"Seeded big account {seed}", None)
    subs = [
        _seeded_account(f"Seeded big account {seed} sub {i}", big)
        for i in range(min(5, max(0, count // 10)))
    ]
    others = [
        _seeded_account(f"Seeded account {seed}-{i}", None) for i in range(count - 1 - len(subs))
    ]
    ids = [big.pk] + [s.pk for s in subs] + [o.pk for o in others]
    tree_share = [0.20] + [0.10 / len(subs)] * len(subs) if subs else [0.30]
    zipf = [1 / (rank + 1) for rank in range(len(others))]
    rng.shuffle(zipf)
    total = sum(zipf) or 1.0
    weights = tree_share + [0.70 * z / total for z in zipf]
    return ids, weights


def _seeded_account(name: str, parent: Account | None) -> Account:
    """The seeded account of that name, created the first time: re-runs reuse them."""
    found = Account.objects.filter(name=name, parent=parent).first()
    return found or account_create(name=name, parent=parent).account


def call_seed(
    *,
    account_ids: list[int],
    weights: list[float] | None = None,
    count: int,
    days: int = 90,
    seed: int = 0,
    profile_seed: int | None = None,
    batch_size: int = CHUNK,
    workers: int = 1,
    now: datetime | None = None,
    product: str = MIXED,
    progress: Progress | None = None,
) -> int:
    """Store `count` synthetic calls; return how many this run wrote.

    Deterministic for the same arguments (including `now`, which defaults to the start
    of the current UTC day so that a re-run on the same day resumes instead of
    duplicating). Each chunk is one transaction; a chunk already stored is skipped.
    With `workers` > 1 (PostgreSQL), chunks are made and COPYed by that many processes.
    `product` is every account's ("voice", "zentrunk") or "mixed": ~30% of the accounts
    Voice, the rest Zentrunk (calls/bulk/synthetic.py, `account_products`). `profile_seed`
    (default `seed`) fixes the accounts' products, own numbers and trunks, so that more
    calls of the same customers can be added under another `seed` (the benchmark's growth).
    """
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    generator = CallGenerator(
        account_ids=account_ids,
        weights=weights,
        days=days,
        seed=seed,
        now=now,
        product=product,
        profile_seed=profile_seed,
    )
    chunks = max(1, -(-count // batch_size))
    sizes = [min(batch_size, count - index * batch_size) for index in range(chunks)]
    partitions.ensure_for_range(now - timedelta(days=days), now)
    jobs = [(index, size, chunks) for index, size in enumerate(sizes)]
    written = 0
    # Workers commit on their own connections, so only outside a transaction.
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        context = multiprocessing.get_context("spawn")
        init_args = (pickle.dumps(generator), connection.settings_dict["NAME"])
        with context.Pool(workers, seed_worker.init, init_args) as pool:
            for stored, size in pool.imap_unordered(seed_worker.pooled_chunk, jobs):
                written += stored
                if progress:
                    progress(size)
    else:
        for job in jobs:
            stored, size = seed_worker.seed_chunk(generator, *job)
            written += stored
            if progress:
                progress(size)
    return written
