"""Ready for Citus: every SQL statement an API request runs names the accounts it reads.

Under Citus the call table and the hourly counts are distributed by `account_id` (docs/
production.md, "When one primary is not enough"): a statement that restricts account_id
to a list goes to the shards of those accounts only; one that does not goes to every
shard of the cluster. So every API request is driven here, generated from the OpenAPI
schema (every GET under /v1/ and /core/, every query parameter it declares, every CarrierX
filter field and operator, offset, cursor and keyset pages), its SQL captured, and held
against THE RULE below. A new endpoint or parameter without a sample fails the test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calls.carrierx.cdr import FIELDS
from tests.api.conftest import basic
from tests.factories import BearerTokenFactory, CallFactory
from tests.servers import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# --- THE RULE -------------------------------------------------------------------------------
# Each distributed table, and the column it is distributed by. Every time a statement reads
# one (FROM or JOIN), it must restrict that column to given values: `col = x`,
# `col IN (...)` or `col = ANY(...)`. The key table is distributed by its own key,
# call_uuid (it cannot be co-located: docs/production.md says what that costs).
DISTRIBUTED = {"calls_call": "account_id", "calls_hour_count": "account_id",
               "calls_count_memo": "account_id", "calls_hour_epoch": "account_id",
               "calls_call_key": "call_uuid"}  # fmt: skip
# Reference tables (copied to every node) need nothing: accounts_account, bearer tokens,
# hangup causes.


def reads(sql: str, table: str) -> int:
    """How many times `sql` reads `table` (FROM or JOIN; its partitions are the same table)."""
    return len(re.findall(rf'\b(?:FROM|JOIN)\s+"?{table}"?(?![\w])', sql, re.IGNORECASE))


def restrictions(sql: str, column: str) -> int:
    """How many times `sql` restricts `column` to given values."""
    pattern = rf'(?:"\w+"\.)?"?\b{column}"?\s*(?:=\s*ANY\s*\(|=|IN\s*\()'
    return len(re.findall(pattern, sql, re.IGNORECASE))


def broken_by(sql: str) -> list[str]:
    """The distributed tables read in `sql` whose column it restricts fewer times than it
    reads tables distributed by that column (a read without its own restriction)."""
    broken = []
    for column in sorted(set(DISTRIBUTED.values())):
        tables = [t for t, c in DISTRIBUTED.items() if c == column and reads(sql, t)]
        if sum(reads(sql, t) for t in tables) > restrictions(sql, column):
            broken += tables
    return broken


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        ('SELECT * FROM "calls_call" WHERE "calls_call"."account_id" IN (1, 2)', []),
        ("SELECT count(*) FROM calls_call WHERE account_id = ANY('{1}')", []),
        ('SELECT * FROM "calls_call" WHERE "calls_call"."call_uuid" = 1', ["calls_call"]),
        ("SELECT (SELECT sum(calls) FROM calls_hour_count WHERE account_id = ANY(%s)) + "
         "(SELECT count(*) FROM calls_call WHERE end_time > %s)",
         ["calls_call", "calls_hour_count"]),
        ("SELECT * FROM calls_call_default WHERE true", []),  # another table's name
        ("SELECT end_time FROM calls_call_key WHERE call_uuid = %s", []),
        ("SELECT end_time FROM calls_call_key", ["calls_call_key"]),
    ],
)  # fmt: skip
def test_the_rule(sql, broken):
    assert broken_by(sql) == broken


# --- Every request of both APIs ------------------------------------------------------------
NOW = datetime.now(UTC).replace(microsecond=0)
DAY_AGO = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
ISO_DAY_AGO = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
UUID = "c02a73b2-8401-459a-af7e-f4cc3eee7854"
WALK = object()  # follow the pages' own links instead of a fixed value

# Values for each query parameter the schema declares (several where the kinds of SQL
# differ). `{call}` is a stored call's uuid; `{sub}` the subaccount's auth id.
PLIVO = {
    "from_number": ["+1415", "sip:1415@example.com"],
    "to_number": ["44"],
    "call_direction": ["inbound", "outbound"],
    **{f"bill_duration{op}": ["60"] for op in ("", "__gt", "__gte", "__lt", "__lte")},
    **{f"end_time{op}": [DAY_AGO] for op in ("", "__gt", "__gte", "__lt", "__lte")},
    "hangup_cause_code": ["3010"],
    "hangup_source": ["Caller", "customer"],  # one per product; the other's is a 400
    "stir_verification": ["Verified", "Not Applicable"],
    "parent_call_uuid": ["{call}"],
    "subaccount": ["{sub}"],
    "limit": ["1", "20"],
    "offset": ["0", "2", "10000"],
    "cursor": WALK,
    "call_uuid": ["{call}"],
}
CARRIERX = {
    "limit": ["1", "1000"],
    "offset": ["0", "3"],
    "after": ["{call}"],
    "before": ["{call}"],
    "order": ["date_stop asc", "date_stop desc", "duration desc", "number_src asc"],
    "filter": [],  # generated from the CDR field table below
    "include_fields": ["dr_sid,date_stop,partner_sid"],
    "exclude_fields": ["user_data"],
    "total": ["true", "false"],
}
_VALUES = {"text": "'x'", "datetime": ISO_DAY_AGO, "uuid": UUID, "decimal": "0", "int": "0",
           "intstr": "0", "bool": "false"}  # fmt: skip
CARRIERX["filter"] = [
    *(f"{name} eq {_VALUES[kind]}" for name, (_, kind) in FIELDS.items() if kind in _VALUES),
    "user_data.team eq 'night shift'",
    "number_src like '+1415%'", "number_src ilike '%55%'", "codec_src in (pcmu,g722)",
    "codec_src nin (pcmu)", "cic eq null", "cic ne null", "sipcause ne '200'",
    f"date_stop gt {ISO_DAY_AGO}", f"date_stop lt {ISO_DAY_AGO}", "duration le 100",
    f"date_stop ge {ISO_DAY_AGO} and direction eq outbound and duration_billing gt 0",
]  # fmt: skip
SAMPLES = {"/v1/": PLIVO, "/core/": CARRIERX}


@pytest.fixture
def world(main_account, subaccount):
    """Calls of both products on both accounts (child legs, user data), a bearer token."""
    voice = CallFactory.create_batch(3, account=main_account, product="voice")
    trunk = CallFactory.create_batch(3, account=main_account, user_data={"team": "night"})
    CallFactory(account=main_account, parent_call_uuid=trunk[0].call_uuid)
    CallFactory.create_batch(2, account=subaccount)
    token = BearerTokenFactory(account=main_account,
                               scopes=["calls.read", "calls.read_descendant"])  # fmt: skip
    return {"voice": voice[0], "zentrunk": trunk[0], "sub": subaccount, "main": main_account,
            "bearer": {"HTTP_AUTHORIZATION": f"Bearer {token.raw_secret}"}}  # fmt: skip


def operations(client: Client) -> list[tuple[str, list[str]]]:
    """(path template, query parameter names) of every API GET in the served schema."""
    schema = client.get("/api/schema/?format=json").json()
    found = []
    for template, item in schema["paths"].items():
        if template.startswith(tuple(SAMPLES)) and "get" in item:
            params = [p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"]
            found.append((template, params))
    return found


def test_every_api_statement_names_its_accounts(world):
    client = Client()
    ops = operations(client)
    assert {t for t, _ in ops} >= {
        "/v1/Account/{auth_id}/Call/", "/v1/Account/{auth_id}/Call/{call_uuid}/",
        "/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/Insights/",
        "/core/v2/calls/call_drs", "/core/v2/calls/call_drs/{dr_sid}",
    }  # fmt: skip
    statements: list[tuple[str, str]] = []  # (request, sql)
    answered: dict[tuple[str, str], set[int]] = {}

    def run(path: str, params: dict, headers: dict, key: tuple[str, str]) -> dict | None:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, params, **headers)
        request = f"{path}?{urlencode(params)}"
        assert response.status_code in {200, 400}, (request, response.content)
        answered.setdefault(key, set()).add(response.status_code)
        statements.extend((request, q["sql"]) for q in captured.captured_queries)
        return response.json() if response.status_code == 200 else None

    for template, params in ops:
        face = next(prefix for prefix in SAMPLES if template.startswith(prefix))
        call = world["voice" if "/v1/" in template and "Zentrunk" not in template
                     else "zentrunk"]  # fmt: skip
        path = (template.replace("{auth_id}", world["main"].auth_id)
                .replace("{call_uuid}", str(call.call_uuid))
                .replace("{dr_sid}", str(call.call_uuid)))  # fmt: skip
        headers = basic(world["main"]) if face == "/v1/" else world["bearer"]
        run(path, {}, headers, (template, ""))
        for name in params:
            samples = SAMPLES[face].get(name)
            assert samples is not None, f"{template}: add sample values for {name!r} to SAMPLES"
            if samples is WALK:
                walk(run, path, headers, (template, name))
                continue
            for raw in samples:
                value = raw.format(call=call.call_uuid, sub=world["sub"].auth_id)
                run(path, {name: value}, headers, (template, name))
    never_ok = [key for key, statuses in answered.items() if 200 not in statuses]
    assert not never_ok, f"no sample of these was accepted, so their SQL never ran: {never_ok}"
    assert len(statements) > 300
    unscoped = [(request, sql) for request, sql in statements if broken_by(sql)]
    assert not unscoped, "\n\n".join(f"{r}\n{sql}" for r, sql in unscoped[:5])


def walk(run, path: str, headers: dict, key: tuple[str, str]) -> None:
    """Follow meta.next twice and meta.previous once from a one-call first page."""
    body = run(path, {"limit": "1"}, headers, key)
    for step in ("next", "next", "previous"):
        link = body["meta"][step]
        assert link, (path, step)
        target, _, query = link.partition("?")
        body = run(target, dict(parse_qsl(query)), headers, key)


# --- Unique keys ----------------------------------------------------------------------------
# Citus enforces a unique key on a distributed table only if the key holds the distribution
# column. A key that does not yet is listed with the form it takes when the table is
# distributed, which docs/production.md gives. Adding account_id to the call table's key
# loses nothing: one row per call_uuid, whatever its account, is the key table's job.
REKEYED_FOR_CITUS = {"calls_call_pkey": "(account_id, call_uuid, end_time)"}


def test_every_unique_key_can_hold_the_distribution_column():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.relname, i.relname, array_agg(a.attname ORDER BY k.n) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE x.indisunique AND t.relname = ANY(%s) GROUP BY t.relname, i.relname",
            [list(DISTRIBUTED)],
        )
        keys = cur.fetchall()
    assert {table for table, _, _ in keys} == set(DISTRIBUTED)  # each has its key
    docs = (ROOT / "docs" / "production.md").read_text()
    for table, name, columns in keys:
        if DISTRIBUTED[table] in columns:
            continue
        assert name in REKEYED_FOR_CITUS, f"{name} {columns} cannot be enforced under Citus"
        assert f"`{name}`" in docs and REKEYED_FOR_CITUS[name] in docs, name
