"""A call_uuid is stored once, whatever precision its end time was exported with."""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test import Client

from calls.bulk.imports import call_import
from calls.bulk.purge import call_purge
from calls.models import Call
from calls.store import partitions
from calls.writing import loading
from tests.api.conftest import basic
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _record(call_uuid: str, end: datetime, *, millis: bool) -> dict:
    """A Plivo record of a 60 s answered call, its times written at second or ms precision."""
    spec = "milliseconds" if millis else "seconds"
    return {
        "call_uuid": call_uuid, "call_direction": "outbound", "from_number": "+14155550100",
        "to_number": "442071234567", "end_time": end.isoformat(timespec=spec),
        "answer_time": (end - timedelta(seconds=50)).isoformat(timespec=spec),
        "initiation_time": (end - timedelta(seconds=60)).isoformat(timespec=spec),
        "call_duration": 60, "bill_duration": 50,
    }  # fmt: skip


def _end() -> datetime:
    return (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=250_000)


@pytest.mark.parametrize("precise_first", [True, False])
@pytest.mark.parametrize("one_file", [True, False])
def test_a_call_exported_at_two_precisions_is_stored_once(main_account, precise_first, one_file):
    sid, end = str(uuid4()), _end()
    first, second = _record(sid, end, millis=True), _record(sid, end, millis=False)
    if not precise_first:
        first, second = second, first
    if one_file:
        summary = call_import(records=[(1, first), (2, second)], account=main_account)
        assert (summary.stored, summary.duplicates) == (1, 1)
    else:
        assert call_import(records=[(1, first)], account=main_account).stored == 1
        summary = call_import(records=[(1, second)], account=main_account)
        assert (summary.stored, summary.duplicates) == (0, 1)
    (stored,) = Call.objects.filter(call_uuid=sid).values_list("end_time", flat=True)
    assert stored == datetime.fromisoformat(first["end_time"])  # the first one stored wins


def test_retrieve_and_the_admin_detail_answer_with_the_one_row(main_account, bearer):
    sid, end = str(uuid4()), _end()
    call_import(records=[(1, _record(sid, end, millis=True))], account=main_account)
    call_import(records=[(1, _record(sid, end, millis=False))], account=main_account)
    client = Client()

    plivo = client.get(
        f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/{sid}/", **basic(main_account)
    )
    assert plivo.status_code == 200, plivo.content
    assert plivo.json()["call_uuid"] == sid
    assert plivo.json()["end_time"] == end.strftime("%Y-%m-%d %H:%M:%S")  # Zentrunk: UTC

    _, secret = bearer(main_account)
    cdr = client.get(f"/core/v2/calls/call_drs/{sid}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert cdr.status_code == 200, cdr.content
    assert cdr.json()["date_stop"] == end.strftime("%Y-%m-%dT%H:%M:%S.250Z")

    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "a-long-pass-1"))
    detail = client.get(f"/admin/calls/call/{sid}/change/")
    assert detail.status_code == 200
    assert sid in detail.content.decode()
    assert client.get(f"/admin/calls/call/{uuid4()}/change/").status_code == 302  # not found


def test_rerunning_an_import_stores_nothing_new(main_account):
    records = [
        (n, _record(str(uuid4()), _end() - timedelta(minutes=n), millis=n % 2 == 0))
        for n in range(1, 41)
    ]
    assert call_import(records=records, account=main_account, batch_size=7).stored == 40
    before = set(Call.objects.values_list("call_uuid", "end_time"))
    again = call_import(records=records, account=main_account, batch_size=7)
    assert (again.stored, again.duplicates) == (0, 40)
    # the same calls re-exported at the other precision, mixed with new ones
    flipped = [
        (n, _record(r["call_uuid"], datetime.fromisoformat(r["end_time"]), millis=n % 2 == 1))
        for n, r in records
    ]
    new = [(41, _record(str(uuid4()), _end(), millis=True))]
    third = call_import(records=flipped + new, account=main_account, batch_size=7)
    assert (third.stored, third.duplicates) == (1, 40)
    added = set(Call.objects.values_list("call_uuid", "end_time")) - before
    assert added == {(UUID(new[0][1]["call_uuid"]), datetime.fromisoformat(new[0][1]["end_time"]))}


def test_the_database_refuses_a_second_row_for_a_call(main_account):
    call = CallFactory(account=main_account)
    twin = Call(**{f.attname: getattr(call, f.attname) for f in Call._meta.concrete_fields})
    twin.end_time = call.end_time + timedelta(milliseconds=250)
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.bulk_create([twin])
    assert Call.objects.filter(call_uuid=call.call_uuid).count() == 1


@pytest.mark.postgres
def test_a_bulk_copy_with_a_known_call_fails_whole(main_account):
    """The seed's path (plain COPY, no duplicate handling) cannot store a call twice either."""
    call = CallFactory(account=main_account)
    columns = [f.column for f in Call._meta.concrete_fields]
    row = [getattr(call, f.attname) for f in Call._meta.concrete_fields]
    row[columns.index("end_time")] = call.end_time + timedelta(days=9)
    row[columns.index("user_data")] = "{}"
    with pytest.raises(IntegrityError, match="calls_call_key_pkey"), transaction.atomic():
        loading.insert_rows([tuple(row)], columns, skip_existing=False)
    assert Call.objects.filter(call_uuid=call.call_uuid).count() == 1


def _keys() -> set:
    with connection.cursor() as cur:
        cur.execute("SELECT call_uuid, end_time FROM calls_call_key")
        return set(cur.fetchall())


@pytest.mark.postgres
def test_the_key_table_holds_exactly_the_stored_calls(main_account):
    """Through seed, import, ORM writes and deletes, partition moves and a purge."""
    from calls.bulk.seed import call_seed

    now = datetime.now(UTC)
    partitions.ensure(now - timedelta(days=120), now)  # whole partitions past the line, to drop
    call_seed(account_ids=[main_account.pk], count=500, days=120, seed=5, batch_size=100)
    CallFactory.create_batch(3, account=main_account, end_time=now + timedelta(days=300))
    partitions.ensure(now + timedelta(days=300), now + timedelta(days=301))  # moves them
    call_import(records=[(1, _record(str(uuid4()), _end(), millis=True))], account=main_account)
    Call.objects.filter(pk__in=Call.objects.values("pk")[:7]).delete()
    call_purge(now=now, batch_size=50)
    stored = set(Call.objects.values_list("call_uuid", "end_time"))
    assert len(stored) > 300
    assert _keys() == stored


@pytest.mark.postgres
def test_an_updated_call_keeps_its_one_key(main_account):
    call, other = CallFactory.create_batch(2, account=main_account)
    moved = call.end_time - timedelta(days=20)  # into another partition
    Call.objects.filter(pk=call.pk).update(end_time=moved)
    assert Call.objects.by_uuid(call.call_uuid).get().end_time == moved
    assert _keys() == set(Call.objects.values_list("call_uuid", "end_time"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.filter(pk=other.pk).update(call_uuid=call.call_uuid)


@pytest.mark.postgres
def test_installing_the_keys_keeps_one_row_of_a_call_stored_twice(main_account):
    """A database from before the key table: the finer end time of a call stored twice
    is kept (a truncating export drops the fraction)."""
    from calls.store import keys

    keys.remove()
    call = CallFactory(account=main_account, end_time=_end().replace(microsecond=0))
    fine = Call(**{f.attname: getattr(call, f.attname) for f in Call._meta.concrete_fields})
    fine.end_time = call.end_time + timedelta(milliseconds=250)
    Call.objects.bulk_create([fine])
    CallFactory(account=main_account)
    assert Call.objects.filter(call_uuid=call.call_uuid).count() == 2

    assert keys.install() == 1
    (kept,) = Call.objects.filter(call_uuid=call.call_uuid).values_list("end_time", flat=True)
    assert kept == fine.end_time
    assert _keys() == set(Call.objects.values_list("call_uuid", "end_time"))
    assert Call.objects.count() == 2


@pytest.mark.postgres
def test_a_retrieve_reads_one_partition(main_account):
    call = CallFactory(account=main_account, end_time=datetime.now(UTC) - timedelta(days=20))
    sql, params = Call.objects.by_uuid(call.call_uuid).values_list("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        plan = [row[0] for row in cur.fetchall()]
    executed = {
        name
        for line in plan
        if "never executed" not in line
        for name in re.findall(r" on (calls_call_(?:p[0-9]+|default))\b", line)
    }
    assert executed == {partitions.name_for(partitions.bounds_for(call.end_time)[0])}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_importing_the_same_calls_store_each_once(main_account, tmp_path):
    """The same 1,500 calls, one file in order at ms precision and one reversed at whole
    seconds, imported at once by two processes in small batches."""
    sids = [str(uuid4()) for _ in range(1500)]
    end = _end()
    forward, backward = tmp_path / "forward.jsonl", tmp_path / "backward.jsonl"
    forward.write_text(
        "".join(
            json.dumps(_record(s, end - timedelta(seconds=i), millis=True)) + "\n"
            for i, s in enumerate(sids)
        )
    )
    backward.write_text(
        "".join(
            json.dumps(_record(s, end - timedelta(seconds=i), millis=False)) + "\n"
            for i, s in reversed(list(enumerate(sids)))
        )
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
    }
    command = [sys.executable, "manage.py", "import_calls", "--account", main_account.auth_id]
    command += ["--batch-size", "100", "-v", "0"]
    runs = [
        subprocess.Popen(
            [*command, str(path)],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in (forward, backward)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    stored = sum(int(out.split("stored ")[1].split(",")[0]) for out, _ in outputs)
    assert stored == 1500
    assert Call.objects.count() == Call.objects.values("call_uuid").distinct().count() == 1500
    assert _keys() == set(Call.objects.values_list("call_uuid", "end_time"))
