"""CALLS_RETENTION_DAYS is the one retention: both faces' lists, retrieves and 400s, the
purge's default line, and the schema's text all follow it."""

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from tests.api.conftest import NOW, uuids
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def _ts(ago: timedelta, sep: str = " ") -> str:
    return (NOW - ago).isoformat(sep=sep, timespec="seconds")[:19]


@pytest.fixture
def thirty_days(frozen):
    with override_settings(CALLS_RETENTION_DAYS=30):
        yield


@pytest.fixture
def calls(main_account):
    return {
        "old": CallFactory(account=main_account, end_time=NOW - 40 * D),
        "kept": CallFactory(account=main_account, end_time=NOW - 28 * D),
    }


def test_the_plivo_face_keeps_what_the_setting_says(thirty_days, plivo, main_account, calls):
    straddling = plivo(main_account, end_time__gte=_ts(50 * D), end_time__lte=_ts(25 * D))
    assert uuids(straddling) == [str(calls["kept"].call_uuid)]  # cut at 30 days, not 90
    before = plivo(main_account, end_time__lte=_ts(35 * D))
    assert before.status_code == 400
    assert before.json()["error"].startswith("Calls are kept for 30 days: the requested end_time")
    gone = plivo(main_account, uuid=calls["old"].call_uuid)
    assert gone.status_code == 404 and "in the last 30 days" in gone.json()["error"]
    assert plivo(main_account, uuid=calls["kept"].call_uuid).status_code == 200


def test_the_carrierx_face_keeps_what_the_setting_says(thirty_days, bearer, main_account, calls):
    _, secret = bearer(main_account)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    listed = client.get("/core/v2/calls/call_drs").json()["items"]
    assert [item["dr_sid"] for item in listed] == [str(calls["kept"].call_uuid)]
    refused = client.get("/core/v2/calls/call_drs", {"filter": f"date_stop lt {_ts(35 * D, 'T')}Z"})
    assert refused.status_code == 400
    message = refused.json()["errors"][0]["message"]
    assert message.startswith("CDRs are kept for 30 days: the date_stop range ends before")
    old = client.get(f"/core/v2/calls/call_drs/{calls['old'].call_uuid}")
    assert old.status_code == 404


def test_purge_draws_its_default_line_at_the_setting(thirty_days, calls):
    out = io.StringIO()
    call_command("purge_calls", "--dry-run", stdout=out, verbosity=0)
    line = (NOW - 30 * D).strftime("%Y-%m-%d %H:%M:%S")
    assert (
        out.getvalue()
        .splitlines()[-1]
        .startswith(f"Would remove 1 calls that ended before {line} UTC")
    )
    with pytest.raises(CommandError, match="at least 30"):
        call_command("purge_calls", "--older-than-days", "20", "--dry-run", verbosity=0)


def test_the_schema_states_the_setting():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="cdrapi.settings", DEBUG="1", CALLS_RETENTION_DAYS="30")
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--format", "openapi-json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    text = json.dumps(json.loads(result.stdout))
    assert "90 days" not in text
    for said in ("ends more than 30 days ago is a 400", "CDR this token can see, within 30 days",
                 "a call older than 30 days", "or older than 30 days"):  # fmt: skip
        assert said in text, said
