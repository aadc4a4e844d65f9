"""Admin changelist speed on a big table: each page variant, rendered in-process.

Run against a seeded PostgreSQL database (seed_calls --accounts 1000 --count 10000000):

    DATABASE_URL=postgres://postgres@127.0.0.1/cdrapi_bench SECRET_KEY=x \\
        .venv/bin/python bench/admin_changelist.py [--runs 15]

Prints one Markdown table: median and p95 render time, and the queries each page runs.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdrapi.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Account  # noqa: E402
from calls.models import Call  # noqa: E402


def variants() -> list[tuple[str, str]]:
    big = Account.objects.filter(name__regex=r"^Seeded big account [0-9]+$").order_by("-pk").first()
    small = Account.objects.filter(name__startswith="Seeded account").order_by("-pk").first()
    sample = (
        Call.objects.filter(account=big)
        .order_by("-end_time")
        .values_list("call_uuid", "from_number_norm")
        .first()
    )
    uid, number = sample
    base = "/admin/calls/call/"
    return [
        ("default (last 7 days)", base),
        ("page 50", f"{base}?p=49"),
        ("last 30 days", f"{base}?window=30d"),
        ("last 90 days", f"{base}?window=90d"),
        ("direction inbound", f"{base}?call_direction__exact=inbound"),
        ("hangup source zentrunk, 30 days", f"{base}?hangup_source=zentrunk&window=30d"),
        ("big account", f"{base}?account={big.auth_id}"),
        ("small account, 30 days", f"{base}?account={small.auth_id}&window=30d"),
        ("big account + inbound", f"{base}?account={big.auth_id}&call_direction__exact=inbound"),
        ("search short prefix (+1)", f"{base}?q=%2B1"),
        ("search full number", f"{base}?q={number}"),
        ("search call uuid", f"{base}?q={uid}"),
        ("call detail", f"{base}{uid}/change/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    rows = Call.objects.count() if "--count" in sys.argv else None
    print("| page | median (ms) | p95 (ms) | queries |")
    print("|---|---|---|---|")
    for label, url in variants():
        for _ in range(2):  # warm caches
            assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        samples.sort()
        p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
        print(f"| {label} | {statistics.median(samples):.0f} | {p95:.0f} | {len(ctx)} |")
    if rows:
        print(f"\n{rows:,} calls")


if __name__ == "__main__":
    main()
