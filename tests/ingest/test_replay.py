"""import_calls --format freeswitch DIR and --format kamailio FILE: the CDRs a switch kept
while its posts failed, replayed through the live ingestion service."""

import json
from io import StringIO
from urllib.parse import quote

import pytest
from django.core.management import CommandError

from calls.ingest import fs_sample
from calls.ingest.freeswitch import loads
from calls.ingest.kamailio import call_uuid as kamailio_uuid
from calls.models import Call
from tests.commands import call_storing
from tests.ingest.test_kamailio_records import ANSWERED, BUSY

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_storing("import_calls", *args, "--verbosity", "0", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_err_log(directory, encode: str, **cdr) -> str:
    """One CDR as mod_json_cdr backs it up: the text it posted (escaped when it encodes)."""
    text = fs_sample.cdr(**cdr)
    uid = loads(text)["variables"]["uuid"]
    body = {"false": text, "true": quote(text, safe=""), "base64": None}[encode]
    if body is None:
        body = fs_sample.post_body(text, "base64")[0].decode().removeprefix("cdr=")
    prefix = "a_" if cdr.get("leg", "a") == "a" and encode == "true" else ""
    (directory / f"{prefix}{uid}.cdr.json").write_text(body + "\n")
    return uid


def test_freeswitch_directory_is_replayed_once(tmp_path, main_account):
    (tmp_path / "2026" / "11").mkdir(parents=True)
    uids = [
        write_err_log(tmp_path, "false", outcome="answered"),
        write_err_log(tmp_path, "true", outcome="busy", old_callflow=True),
        write_err_log(tmp_path / "2026" / "11", "base64", leg="b", outcome="canceled"),
        write_err_log(tmp_path, "false", accountcode=main_account.auth_id),
    ]
    (tmp_path / "broken.cdr.json").write_text("{not json")
    out, err = run(str(tmp_path), "--format", "freeswitch", "--account", main_account.auth_id)
    assert out.startswith("read 5, stored 4, duplicates 0, rejected 1"), out
    assert "broken.cdr.json: rejected: the CDR is not valid JSON" in err
    calls = Call.objects.filter(call_uuid__in=uids)
    assert {(c.product, c.account_id) for c in calls} == {("voice", main_account.pk)}
    assert {c.hangup_cause_code for c in calls} == {4000, 3010, 1000}
    out, _ = run(str(tmp_path), "--format", "freeswitch", "--account", main_account.auth_id)
    assert out.startswith("read 5, stored 0, duplicates 4, rejected 1"), out


def test_freeswitch_without_an_account_needs_the_accountcode(tmp_path, main_account):
    named = write_err_log(tmp_path, "false", accountcode=main_account.auth_id)
    write_err_log(tmp_path, "false")
    out, err = run(str(tmp_path), "--format", "freeswitch")
    assert out.startswith("read 2, stored 1, duplicates 0, rejected 1"), out
    # In FreeSWITCH's words: the variable the dialplan sets, and the option that helps.
    assert (
        "no account: the record must name one (its accountcode variable), or pass "
        "--account AUTH_ID" in err
    )
    assert Call.objects.get(call_uuid=named).account_id == main_account.pk
    with pytest.raises(CommandError, match="nothing was imported"):
        run(str(tmp_path), "--format", "freeswitch", "--strict")


def test_kamailio_lines(tmp_path, main_account):
    lines = tmp_path / "acc.jsonl"
    bad = dict(ANSWERED, call_id="3-1@127.0.0.1", answered="false")
    lines.write_text("\n".join(json.dumps(doc) for doc in (ANSWERED, BUSY, bad, ANSWERED)))
    out, err = run(str(lines), "--format", "kamailio", "--account", main_account.auth_id)
    assert out.startswith("read 4, stored 2, duplicates 1, rejected 1"), out
    assert "line 3: rejected:" in err
    stored = Call.objects.get(
        call_uuid=kamailio_uuid(main_account.partner_sid, ANSWERED["call_id"], ANSWERED["from_tag"])
    )
    assert (stored.product, stored.to_number) == ("zentrunk", "442071234567")
