"""A real switch: Kamailio, run with deploy/kamailio/kamailio.cfg, relays SIPp calls and
posts each call's acc_json CDR to the live server's /ingest/v1/kamailio with a calls.write
token. Each call shows through the Plivo API, with its numbers, durations, hangup cause and
source, within 2 s of its end; CDRs of calls made while the server is down arrive, once
each, when it is back (docs/kamailio.md). The test waits on what the switch logs and
the API lists, never on a pause."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from calls.ingest.kamailio import call_uuid
from tests.servers import IN_CI, ROOT, basic_header, free_port, get, gunicorn, manage

# No django_db mark: like every served_database test, this runs after all database tests,
# since what the server commits is never flushed (tests/conftest.py).
pytestmark = pytest.mark.postgres

CFG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIOS = Path(__file__).resolve().parent / "kamailio"
KAMAILIO = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/sbin")
SIPP = shutil.which("sipp")
# What each call of a round must show: by number dialled, the Zentrunk call object's fields.
# (Durations are checked against the CDR the switch posted: SIPp's pauses are not exact.)
ANSWERED = {"to_number": "442071234567", "from_number": "+14155550123",
            "hangup_cause_code": 3010, "hangup_cause_name": "normal_hangup",
            "hangup_source": "customer", "call_direction": "outbound"}  # fmt: skip
CALLEE_HANGS_UP = {"to_number": "bye3003", "from_number": "14155550124",
                   "hangup_cause_code": 3000, "hangup_cause_name": "normal_hangup",
                   "hangup_source": "carrier"}  # fmt: skip
BUSY = {"to_number": "busy2002", "from_number": "+14155550123", "bill_duration": 0,
        "hangup_cause_code": 4410, "hangup_cause_name": "user_busy",
        "hangup_source": "carrier", "answer_time": None}  # fmt: skip
CANCELED = {"to_number": "ring4004", "from_number": "+14155550123", "bill_duration": 0,
            "hangup_cause_code": 4440, "hangup_cause_name": "request_terminated",
            "hangup_source": "customer", "answer_time": None}  # fmt: skip
ENDED = re.compile(r"CALL_ENDED ts=(?P<ts>[\d.]+) ci=(?P<ci>\S+) ftag=(?P<ftag>\S+)")
POSTED = re.compile(r"CDR_POSTED ts=\S+ rc=\d+ body=(?P<body>\{.*\})$", re.M)
# Generous limits: the test polls each call every 50 ms.
LIMITS = {"THROTTLE_PLIVO_ACCOUNT": "100000/1s", "THROTTLE_ADDRESS": "100000/1s",
          "THROTTLE_CARRIERX_TOKEN": "100000/1s"}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _switch_installed():
    missing = [name for name, path in (("kamailio", KAMAILIO), ("sipp", SIPP)) if not path]
    if missing and IN_CI:
        pytest.fail(f"{', '.join(missing)} not installed (.ci/run installs them)")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (.ci/run installs them)")


def test_kamailio_cdrs_show_in_the_api_and_survive_the_server_being_down(served_database):
    account = json.loads(manage(served_database, "create_account", "Kamailio", "--json"))
    auth_id, read = account["auth_id"], basic_header(account["auth_id"], account["auth_token"])
    made = manage(served_database, "create_token", auth_id, "--scopes", "calls.write", "--json")
    write_token = json.loads(made)["token"]
    http_port = free_port()
    url = f"http://{auth_id}:{write_token}@127.0.0.1:{http_port}/ingest/v1/kamailio"
    with Switch.running(url, account["partner_sid"]) as switch:
        with gunicorn(workers=2, port=http_port, **LIMITS) as server:
            # The caller hangs up, the callee hangs up, the callee is busy, the caller gives up.
            calls = [
                switch.call("uac.xml", ANSWERED, "-d", "1500"),
                switch.call("uac_callee_bye.xml", CALLEE_HANGS_UP),
                switch.call("uac.xml", BUSY),
                switch.call("uac_cancel.xml", CANCELED, "-d", "500"),
            ]
            seen = switch.wait_for_calls(server.port, auth_id, read, calls)
        for expected, (call, delay) in zip(calls, seen, strict=True):
            assert call | expected | switch.durations(call["call_uuid"]) == call
            assert delay <= 2.0, f"{call['to_number']} listed {delay:.2f} s after it ended"
        answered = seen[0][0]
        # Zentrunk times are whole seconds.
        assert answered["initiation_time"] <= answered["answer_time"] <= answered["end_time"]

        # The server is down: calls go on, and the switch keeps posting their CDRs.
        later = [
            switch.call("uac.xml", ANSWERED | {"to_number": "442071234568"}, "-d", "1500"),
            switch.call("uac.xml", BUSY | {"to_number": "busy2003"}),
        ]
        switch.wait_until(lambda: len(switch.ended()) == 6)
        switch.wait_until(lambda: switch.lines("CDR_RETRY") >= 2)  # posted, refused, kept
        with gunicorn(workers=2, port=http_port, **LIMITS) as server:
            seen = switch.wait_for_calls(server.port, auth_id, read, later)
            for expected, (call, _) in zip(later, seen, strict=True):
                assert call | expected | switch.durations(call["call_uuid"]) == call
            # A barrier instead of a pause: one more call, whose CDR joins the queue behind
            # any second copy of an earlier one (first in, first out), so once it is posted
            # every copy there was has been; with the server up nothing is retried meanwhile.
            retried = switch.lines("CDR_RETRY")
            last = switch.call("uac.xml", BUSY | {"to_number": "busy2004"})
            ((barrier, _),) = switch.wait_for_calls(server.port, auth_id, read, [last])
            switch.wait_until(lambda: barrier["call_uuid"] in switch.posted())
            listing = get(server.port, f"/v1/Account/{auth_id}/Zentrunk/Call/", read)
        assert listing.status == 200
        page = json.loads(listing.body)
        # Exactly once: seven calls ended, seven listed, each its own call_uuid, posted once.
        assert page["meta"]["total_count"] == 7
        assert {c["call_uuid"] for c in page["objects"]} == {u for _, u in switch.ended()}
        assert sorted(switch.posted()) == sorted(u for _, u in switch.ended())
        assert switch.lines("CDR_RETRY") == retried
        assert switch.lines("CDR_REFUSED") == 0


@pytest.mark.django_db
def test_the_reference_cfg_passes_kamailio_s_own_check(tmp_path):
    """(Also what makes a run of this module alone set the test database up.)"""
    cfg = tmp_path / "kamailio.cfg"
    cfg.write_text(render(CFG.read_text(), CDRAPI_URL="http://MA:token@127.0.0.1:1/ingest"))
    checked = subprocess.run([KAMAILIO, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


class Switch:
    """Kamailio with the reference cfg on free ports, and the SIPp UASes behind it."""

    def __init__(self, log: Path, sip_port: int, partner_sid: str) -> None:
        self.log = log
        self.sip_port = sip_port
        self.partner_sid = partner_sid  # the posting account's: part of each call_uuid
        self.placed: list[subprocess.Popen] = []

    @classmethod
    @contextmanager
    def running(cls, url: str, partner_sid: str, **settings: str):
        """Kamailio posting to `url`; `settings` set other `#!substdef` lines of the cfg."""
        with tempfile.TemporaryDirectory(prefix="kamailio-") as tmp, ExitStack() as stack:
            run = Path(tmp)
            sip, uas, busy, bye, ring = (udp_port() for _ in range(5))
            cfg = run / "kamailio.cfg"
            cfg.write_text(
                render(
                    CFG.read_text(),
                    CDRAPI_URL=url,
                    SIP_LISTEN=f"udp:127.0.0.1:{sip}",
                    UAS_PORT=str(uas),
                    UAS_BUSY_PORT=str(busy),
                    UAS_BYE_PORT=str(bye),
                    UAS_RING_PORT=str(ring),
                    **settings,
                )
            )
            log = run / "kamailio.log"
            stack.enter_context(started([KAMAILIO, "-f", str(cfg), "-DD", "-E", "-Y", str(run),
                                         "-P", str(run / "kamailio.pid"), "-m", "64", "-M", "8"],
                                        log))  # fmt: skip
            wait_for_sip(sip)
            for scenario, port, *extra in (("uas.xml", uas), ("uas_busy.xml", busy),
                                           ("uas_bye.xml", bye, "-d", "2500"),
                                           ("uas_ring.xml", ring)):  # fmt: skip
                stack.enter_context(started(sipp(scenario, port, *extra), run / f"{port}.log"))
                wait_until_bound(port)
            switch = cls(log, sip, partner_sid)
            try:
                yield switch
            finally:
                for process in switch.placed:
                    process.wait(40)

    def call(self, scenario: str, expected: dict, *extra: str) -> dict:
        """Place one call from SIPp (in the background); what the test expects of it."""
        port = udp_port()
        args = sipp(scenario, port, "-key", "from", expected["from_number"],
                    "-s", expected["to_number"], "-m", "1", *extra,
                    f"127.0.0.1:{self.sip_port}")  # fmt: skip
        with (self.log.parent / f"uac-{port}.log").open("wb") as out:
            self.placed.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT))
        return expected

    def ended(self) -> list[tuple[float, str]]:
        """(when, call_uuid) of each call the switch saw end (its BYE, or its final failure)."""
        text = self.log.read_text(errors="replace")
        return [(float(m["ts"]), self.uuid(m["ci"], m["ftag"])) for m in ENDED.finditer(text)]

    def uuid(self, call_id: str, from_tag: str) -> str:
        return str(call_uuid(self.partner_sid, call_id, from_tag))

    def durations(self, uuid: str) -> dict:
        """The whole seconds of the call the switch posted: start (or setup) to end, answer
        to end."""
        for match in POSTED.finditer(self.log.read_text(errors="replace")):
            cdr = json.loads(match["body"])
            if self.uuid(cdr["call_id"], cdr["from_tag"]) == uuid:
                end = Decimal(cdr["end_time"])
                start = min(Decimal(cdr["start_time"]), Decimal(cdr["setup_ts"]))
                answer = Decimal(cdr["answer_ts"] or end)
                return {"call_duration": int(end - start), "bill_duration": int(end - answer)}
        raise AssertionError(f"no CDR of {uuid} posted; switch log:\n{self.output()}")

    def posted(self) -> list[str]:
        """The call_uuid of each CDR the switch posted and the server took, in order."""
        bodies = (json.loads(m["body"]) for m in POSTED.finditer(self.output(whole=True)))
        return [self.uuid(cdr["call_id"], cdr["from_tag"]) for cdr in bodies]

    def lines(self, word: str) -> int:
        return self.log.read_text(errors="replace").count(word)

    def wait_until(self, condition, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"switch log:\n{self.output()}"
            time.sleep(0.05)

    def wait_for_calls(self, port: int, auth_id: str, read: dict, expected: list[dict]):
        """Poll the API for each ended call; [(call object, seconds from its end to its
        first showing)] in the order of `expected` (matched by number dialled)."""
        found: dict[str, tuple[dict, float]] = {}
        wanted = {e["to_number"] for e in expected}

        def all_found() -> bool:
            for ended_at, uuid in self.ended():
                if uuid in found:
                    continue
                answer = get(port, f"/v1/Account/{auth_id}/Zentrunk/Call/{uuid}/", read)
                if answer.status == 200:
                    found[uuid] = (json.loads(answer.body), time.time() - ended_at)
            return wanted <= {call["to_number"] for call, _ in found.values()}

        self.wait_until(all_found)
        by_number = {call["to_number"]: (call, delay) for call, delay in found.values()}
        return [by_number[e["to_number"]] for e in expected]

    def output(self, whole: bool = False) -> str:
        text = self.log.read_text(errors="replace")
        return text if whole else text[-4000:]


def render(cfg: str, **values: str) -> str:
    """The cfg with its `#!substdef "!NAME!value!g"` lines set to `values`."""
    for name, value in values.items():
        cfg, found = re.subn(rf'^#!substdef "!{name}!.*!g"$', f'#!substdef "!{name}!{value}!g"',
                             cfg, flags=re.M)  # fmt: skip
        assert found == 1, name
    return cfg


def sipp(scenario: str, port: int, *args: str) -> list[str]:
    return [SIPP, "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port),
            "-nostdin", "-timeout", "30s", *args]  # fmt: skip


@contextmanager
def started(args: list[str], log: Path):
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_bound(port: int, seconds: float = 10) -> None:
    """Until a process listens on the UDP port (binding it fails)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on udp {port}")


def wait_for_sip(port: int, seconds: float = 20) -> None:
    """Until Kamailio answers an OPTIONS on the port (the cfg answers 405)."""
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        local = sock.getsockname()[1]
        while time.monotonic() < deadline:
            sock.sendto(options(port, local), ("127.0.0.1", port))
            try:
                if sock.recv(4096).startswith(b"SIP/2.0 "):
                    return
            except TimeoutError:
                continue
    raise RuntimeError(f"kamailio did not answer on udp {port}")


def options(port: int, local: int) -> bytes:
    return (
        f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{time.monotonic_ns()}\r\n"
        f"From: <sip:probe@127.0.0.1:{local}>;tag=probe\r\n"
        f"To: <sip:ping@127.0.0.1:{port}>\r\n"
        f"Call-ID: probe-{time.monotonic_ns()}@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()
