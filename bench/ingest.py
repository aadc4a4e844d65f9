"""The ingest rows of `make bench` (docs/ingest.md): how fast switches and
scripts can post calls, and how soon a posted call is listed.

    ingest_rows(base_url, (auth_id, calls_write_token)) -> [(label, figure), ...]

- single FreeSWITCH CDRs (a realistic ~6 KB mod_json_cdr document, a new call each) at
  concurrency 8, driven by wrk with a Lua script: calls/s and p99;
- the batch endpoint: 5,000 Plivo-style records a POST, 2 clients: calls/s;
- visibility: POST one CDR, then read it through the API until it is there: the time
  from the POST's answer to the first read that finds it (p50 and max of 20).

Reading needs a read credential: `read_auth` (auth id, auth token) if given, else a
calls.read bearer token minted for the account through Django (bench/run.py has set it
up) and revoked afterwards. Every call posted is new (fresh uuids), so no figure is
flattered by duplicates.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from bench.load import wrk_path
from calls.ingest import fs_sample

PLACEHOLDER = "c0ffee00-0000-4000-8000-00000000beef"
WRK_SECONDS = 10
BATCH_RECORDS = 5000
BATCH_POSTS = 8
VISIBLE_SAMPLES = 20

LUA = r"""
-- A new call per request: the CDR template with its uuid replaced by a fresh one.
local template = io.open("%(template)s"):read("*a")
local auth = "%(auth)s"
local counter = 0
local prefix

function setup(thread)
  thread:set("seed", math.random(1, 2^30))
end

function init(args)
  math.randomseed(seed + os.time())
  prefix = string.format("%%08x-%%04x-4%%03x", math.random(0, 2^31 - 1),
                         math.random(0, 65535), math.random(0, 4095))
end

function request()
  counter = counter + 1
  local id = string.format("%%s-8%%03x-%%012x", prefix, math.random(0, 4095), counter)
  local body = template:gsub("%(pattern)s", id)
  return wrk.format("POST", "/ingest/v1/freeswitch?uuid=" .. id, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "freeswitch-json/1.0",
    ["Authorization"] = auth,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("SPREAD p90 %%.1f p99 %%.1f p99.9 %%.1f max %%.1f ms\n",
    latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
  io.write(string.format("RESULT %%d %%d %%f %%f %%d %%d\n", summary.requests,
    summary.duration, latency:percentile(99), latency:percentile(50),
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def ingest_rows(
    base_url: str, auth: tuple[str, str], *, read_auth: tuple[str, str] | None = None
) -> list[tuple[str, str]]:
    """(label, figure) rows for the benchmark table; `auth` is (auth id, calls.write
    token), sent as HTTP Basic like FreeSWITCH's `cred=`."""
    rows = [single_posts(base_url, auth), batch_posts(base_url, auth)]
    rows.append(visibility(base_url, auth, read_auth))
    return rows


def single_posts(base_url: str, auth: tuple[str, str]) -> tuple[str, str]:
    label = "ingest: single FreeSWITCH CDR POSTs, c8 (wrk)"
    wrk = wrk_path()
    template = fs_sample.cdr(call_uuid=PLACEHOLDER, end=datetime.now(UTC) - timedelta(seconds=5))
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "cdr.json"
        doc.write_text(template)
        script = Path(tmp) / "post.lua"
        script.write_text(LUA % {"template": doc, "auth": _basic(auth),
                                 "pattern": re.sub(r"([-.])", r"%\1", PLACEHOLDER)})  # fmt: skip
        url = base_url.rstrip("/") + "/ingest/v1/freeswitch"
        # Warm both workers up first (imports, the URLconf, the partition check), as
        # bench/run.py does before each scenario.
        subprocess.run([wrk, "-t", "2", "-c", "2", "-d", "2s", "-s", str(script), url],
                       capture_output=True, timeout=60)  # fmt: skip
        out = subprocess.run(
            [wrk, "-t", "2", "-c", "8", "-d", f"{WRK_SECONDS}s", "--timeout", "10s",
             "-s", str(script), url],
            capture_output=True, text=True, timeout=WRK_SECONDS + 60,
        )  # fmt: skip
    spread = re.search(r"SPREAD .*", out.stdout)
    if spread:
        print(f"ingest: {spread.group(0)}", file=sys.stderr)
    found = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out.stdout)
    if found is None:
        return label, f"wrk failed: {(out.stderr or out.stdout)[-200:]}"
    requests, micros, p99, p50, bad_status, socket_errors = found.groups()
    rate = int(requests) / (int(micros) / 1e6)
    figure = (f"{rate:,.0f} calls/s, p50 {float(p50) / 1000:.1f} ms, "
              f"p99 {float(p99) / 1000:.1f} ms ({len(template) / 1024:.1f} KB CDR)")  # fmt: skip
    if int(bad_status) or int(socket_errors):
        figure += f"; {bad_status} non-2xx, {socket_errors} socket errors"
    return label, figure


def batch_posts(base_url: str, auth: tuple[str, str], clients: int = 2) -> tuple[str, str]:
    label = f"ingest: /ingest/v1/calls, {BATCH_RECORDS:,} records a POST, {clients} clients"
    bodies = [_batch(BATCH_RECORDS) for _ in range(BATCH_POSTS)]
    _post(base_url, "/ingest/v1/calls", _batch(200), auth)  # warm both workers' paths
    stored, failures = [0], []
    lock = threading.Lock()

    def client(mine: list[bytes]) -> None:
        for body in mine:
            status, answer = _post(base_url, "/ingest/v1/calls", body, auth)
            with lock:
                if status == 200:
                    stored[0] += json.loads(answer)["stored"]
                else:
                    failures.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(bodies[i::clients],))
               for i in range(clients)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    figure = f"{stored[0] / elapsed:,.0f} calls/s ({stored[0]:,} stored in {elapsed:.1f} s)"
    if failures:
        figure += f"; {len(failures)} POSTs failed: {sorted(set(failures))}"
    return label, figure


def visibility(
    base_url: str, auth: tuple[str, str], read_auth: tuple[str, str] | None
) -> tuple[str, str]:
    label = "ingest: listed by the API after the POST returned"
    revoke = None
    if read_auth is None:
        read_auth, revoke = _read_token(auth[0])
    headers = {"Authorization": _basic(read_auth) if revoke is None
               else f"Bearer {read_auth[1]}"}  # fmt: skip
    waits = []
    try:
        for _ in range(VISIBLE_SAMPLES):
            text = fs_sample.cdr()
            call_uuid = json.loads(text)["variables"]["uuid"]
            status, _ = _post(base_url, f"/ingest/v1/freeswitch?uuid={call_uuid}",
                              text.encode(), auth)  # fmt: skip
            returned = time.perf_counter()
            if status != 201:
                return label, f"POST answered {status}"
            path = (f"/v1/Account/{auth[0]}/Call/{call_uuid}/" if revoke is None
                    else f"/core/v2/calls/call_drs/{call_uuid}")  # fmt: skip
            while _get(base_url, path, headers) != 200:
                if time.perf_counter() - returned > 10:
                    return label, "not listed within 10 s"
                time.sleep(0.002)
            waits.append((time.perf_counter() - returned) * 1000)
    finally:
        if revoke:
            revoke()
    return label, (f"p50 {statistics.median(waits):.1f} ms, max {max(waits):.1f} ms "
                   f"(first read that finds it; {VISIBLE_SAMPLES} calls)")  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------
def _read_token(auth_id: str):
    """A calls.read token for the account, and how to revoke it (Django must be set up)."""
    from accounts.models import Account
    from accounts.services import token_create, token_revoke

    issued = token_create(account=Account.objects.get(auth_id=auth_id), scopes=["calls.read"],
                          name="bench: ingest visibility")  # fmt: skip
    return (auth_id, issued.secret), lambda: token_revoke(token=issued.token)


def _batch(n: int) -> bytes:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    start, answer = end - timedelta(seconds=95), end - timedelta(seconds=80)
    lines = []
    for _ in range(n):
        lines.append(json.dumps({
            "call_uuid": str(uuid.uuid4()), "call_direction": "outbound",
            "from_number": "+14155550100", "to_number": "442071234567",
            "initiation_time": start.isoformat(), "answer_time": answer.isoformat(),
            "end_time": end.isoformat(), "call_duration": 95, "bill_duration": 80,
            "hangup_cause_code": 3010, "hangup_source": "customer",
        }))  # fmt: skip
    return "\n".join(lines).encode()


def _basic(auth: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()


def _post(base_url: str, path: str, body: bytes, auth: tuple[str, str]) -> tuple[int, bytes]:
    target = urlparse(base_url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
    try:
        conn.request("POST", path, body=body, headers={
            "Authorization": _basic(auth), "Content-Type": "application/x-ndjson"
            if path.startswith("/ingest/v1/calls") else "application/json"})  # fmt: skip
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _get(base_url: str, path: str, headers: dict) -> int:
    target = urlparse(base_url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
