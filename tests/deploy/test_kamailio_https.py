"""The shipped Kamailio cfg against cdrapi's production settings over plain HTTP: the POST is
refused (403, HTTPS required), not redirected, and the switch logs it as a configuration
error and keeps the CDR, posting again once every CDRAPI_CONFIG_RETRY seconds instead of
every 100 ms; once the server takes it, the call arrives, once."""

from __future__ import annotations

import itertools
import json
import re
import subprocess

import pytest

from tests.ingest.test_kamailio_live import (  # noqa: F401  (_switch_installed: autouse)
    BUSY,
    CFG,
    KAMAILIO,
    LIMITS,
    Switch,
    _switch_installed,
)
from tests.servers import basic_header, free_port, gunicorn, manage

pytestmark = pytest.mark.postgres  # no django_db mark: see tests/ingest/test_kamailio_live.py

CONFIG_ERROR = re.compile(r"CDR_CONFIG_ERROR ts=(?P<ts>[\d.]+) rc=(?P<rc>\d+) resp=(?P<resp>.*?);")


def config_errors(switch: Switch) -> list[re.Match]:
    return list(CONFIG_ERROR.finditer(switch.log.read_text(errors="replace")))


def posts_seen(server) -> int:
    """POSTs of a CDR that reached the app (its access log, one JSON line a request)."""
    lines = [json.loads(line[line.index("{"):]) for line in server.output.splitlines()
             if '"path":"/ingest/v1/kamailio"' in line]  # fmt: skip
    return len(lines)


def test_a_cdr_posted_over_plain_http_is_held_not_looped(served_database):
    made = json.loads(manage(served_database, "create_account", "Plain HTTP", "--json"))
    auth_id, partner_sid = made["auth_id"], made["partner_sid"]
    read = basic_header(auth_id, made["auth_token"])
    made = manage(served_database, "create_token", auth_id, "--scopes", "calls.write", "--json")
    token = json.loads(made)["token"]
    port = free_port()
    url = f"http://{auth_id}:{token}@127.0.0.1:{port}/ingest/v1/kamailio"
    with Switch.running(url, partner_sid, CDRAPI_CONFIG_RETRY="2") as switch:
        # DEBUG off and SECURE_SSL_REDIRECT on, as every production host runs.
        production = {"SECURE_SSL_REDIRECT": "1", "LOG_LEVEL": "INFO", **LIMITS}
        with gunicorn(workers=1, port=port, **production) as server:
            switch.call("uac.xml", BUSY)
            switch.wait_until(lambda: len(config_errors(switch)) >= 3)
            before = len(config_errors(switch))
            seen = posts_seen(server)
            after = len(config_errors(switch))
        errors = config_errors(switch)
        assert {(m["rc"], json.loads(m["resp"])["error"][:40]) for m in errors} == {
            ("403", "HTTPS is required: this POST came over p")
        }
        # Every post the app saw is one the switch logged as a configuration error, and
        # they come CDRAPI_CONFIG_RETRY seconds apart (whole seconds: more than 1 s).
        assert before <= seen <= after
        stamps = [float(m["ts"]) for m in errors]
        assert min(b - a for a, b in itertools.pairwise(stamps)) > 1.0, stamps
        assert switch.lines("CDR_POSTED") == switch.lines("CDR_REFUSED") == 0

        # The server is put right (here: it takes plain HTTP): the held CDR arrives, once.
        with gunicorn(workers=1, port=port, **LIMITS) as server:
            [(call, _)] = switch.wait_for_calls(server.port, auth_id, read, [BUSY])
        assert call | BUSY == call
        assert switch.lines("CDR_POSTED") == 1


@pytest.mark.django_db  # (also what makes a run of this module alone set the test database up)
def test_the_shipped_cfg_posts_over_https_and_passes_kamailio_s_check():
    shipped = CFG.read_text()
    assert re.search(r'^#!substdef "!CDRAPI_URL!https://', shipped, re.M)
    assert 'modparam("http_client", "httpredirect", 0)' in shipped
    checked = subprocess.run([KAMAILIO, "-c", "-f", str(CFG)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
