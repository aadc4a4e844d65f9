"""import_calls' exit status, as cron sees it: 0 when every record was stored (or was a
duplicate), 3 when more than --max-refused records were refused, after the summary."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from uuid import uuid4

import psycopg
import pytest
from django.core.management import CommandError, call_command

from calls.management.refusals import REFUSED_EXIT
from calls.models import Call
from tests.ingest.test_kamailio_records import ANSWERED
from tests.servers import new_account, run_manage

END = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def record(**extra) -> dict:
    return {
        "call_uuid": str(uuid4()), "call_direction": "outbound",
        "from_number": "+14158572518", "to_number": "14153268174",
        "initiation_time": str(END - timedelta(seconds=70)),
        "answer_time": str(END - timedelta(seconds=60)), "end_time": str(END),
        "bill_duration": 60, "hangup_cause_code": 4000, "hangup_source": "customer",
        **extra,
    }  # fmt: skip


def one_refused(tmp_path) -> str:
    """Three records, the second refused (no to_number)."""
    path = tmp_path / "calls.jsonl"
    records = [record(), record(to_number=None), record()]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def rows(database: str, auth_id: str) -> int:
    with psycopg.connect(database.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(
            "SELECT count(*) FROM calls_call c JOIN accounts_account a ON a.id = c.account_id "
            "WHERE a.auth_id = %s",
            [auth_id],
        ).fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_record_makes_the_process_exit_3_after_its_summary(served_database, tmp_path):
    auth_id, _ = new_account(served_database)
    path = one_refused(tmp_path)
    result = run_manage(served_database, "import_calls", path, "--account", auth_id, "-v", "0")
    assert result.returncode == REFUSED_EXIT == 3, result.stderr
    assert result.stdout.startswith("read 3, stored 2, duplicates 0, rejected 1 ("), result.stdout
    lines = result.stderr.splitlines()
    assert lines[0].startswith("line 2: rejected: ") and "to_number" in lines[0]
    assert lines[-1] == (
        "CommandError: 1 record was rejected, more than --max-refused 0: exit status 3."
    )
    assert rows(served_database, auth_id) == 2  # the good records were stored

    again = run_manage(served_database, "import_calls", path, "--account", auth_id,
                       "-v", "0", "--max-refused", "1")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("read 3, stored 0, duplicates 2, rejected 1 (")
    assert "CommandError" not in again.stderr


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["/no/such/file.jsonl"], 1, "CommandError: No such file: /no/such/file.jsonl"),
        (["x.jsonl", "--max-refused", "-1"], 2, "CommandError: --max-refused is 0 or more."),
        (["x.jsonl", "--max-refused", "some"], 2, "argument --max-refused: invalid int value"),
    ],
)
def test_fatal_and_usage_errors_keep_their_own_statuses(served_database, args, status, message):
    result = run_manage(served_database, "import_calls", *args, "-v", "0")
    assert result.returncode == status, result.stderr
    assert message in result.stderr.splitlines()[-1]


@pytest.mark.django_db
def test_max_refused_lets_that_many_through(tmp_path, main_account):
    path = one_refused(tmp_path)
    out = StringIO()
    call_command("import_calls", path, "--account", main_account.auth_id, "-v", "0",
                 "--max-refused", "1", stdout=out, stderr=StringIO())  # fmt: skip
    assert out.getvalue().startswith("read 3, stored 2, duplicates 0, rejected 1")
    assert Call.objects.count() == 2


@pytest.mark.django_db
def test_a_replayed_kamailio_file_with_a_refused_line_exits_3(tmp_path, main_account):
    path = tmp_path / "acc.jsonl"
    path.write_text(json.dumps(ANSWERED) + "\n{not json\n")
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_calls", str(path), "--format", "kamailio", "--account",
                     main_account.auth_id, "-v", "0", stdout=out, stderr=StringIO())  # fmt: skip
    assert raised.value.returncode == REFUSED_EXIT
    assert str(raised.value).startswith("1 record was rejected, more than --max-refused 0")
    assert out.getvalue().startswith("read 2, stored 1, duplicates 0, rejected 1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_line_that_is_not_utf8_is_refused_alone_and_the_rest_stored(served_database, tmp_path):
    """Past the reader's first buffer too: the file is read on after the bad line."""
    auth_id, _ = new_account(served_database)
    good = [json.dumps(record()).encode() for _ in range(300)]
    bad = json.dumps(record(from_number="CAFE")).encode().replace(b"CAFE", b"caf\xe9")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\n".join([*good[:250], bad, *good[250:]]) + b"\n")
    result = run_manage(served_database, "import_calls", str(path), "--account", auth_id,
                        "-v", "0", "--batch-size", "10")  # fmt: skip
    assert result.returncode == REFUSED_EXIT, result.stderr
    assert "line 251: rejected: not UTF-8 text" in result.stderr
    assert result.stdout.startswith("read 301, stored 300, duplicates 0, rejected 1 (")
    assert rows(served_database, auth_id) == 300
