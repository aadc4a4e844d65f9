"""manage.py import_rates: the CSV columns, a reason for each bad line, re-runs, --replace."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calls.models import Rate
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def run(tmp_path, text, *args, capsys=None):
    path = tmp_path / "rates.csv"
    path.write_text(text)
    call_command("import_rates", str(path), *args)


def table() -> set[tuple]:
    return {
        (r.account.auth_id if r.account_id else "", r.direction, r.prefix, r.rate, r.increment)
        for r in Rate.objects.select_related("account")
    }


def test_a_file_loads_account_and_default_rates(tmp_path, capsys):
    account = AccountFactory()
    run(
        tmp_path,
        "account,direction,prefix,rate,increment\n"
        f"{account.auth_id},outbound,+1415,0.0125,30/6\n"
        ",outbound,1,0.02,60/60\n"
        ",inbound,,0.001,1/1\n",
    )
    assert table() == {
        (account.auth_id, "outbound", "1415", Decimal("0.0125"), "30/6"),
        ("", "outbound", "1", Decimal("0.02"), "60/60"),
        ("", "inbound", "", Decimal("0.001"), "1/1"),
    }
    assert "created 3, updated 0, unchanged 0, deleted 0" in capsys.readouterr().out


def test_columns_may_come_in_any_order_with_spaces(tmp_path):
    run(tmp_path, "rate, increment ,Prefix,direction,account\n 0.5 , 1/1 , 44 , outbound ,\n")
    assert table() == {("", "outbound", "44", Decimal("0.5"), "1/1")}


def test_running_it_again_updates_and_never_duplicates(tmp_path, capsys):
    header = "account,direction,prefix,rate,increment\n"
    run(tmp_path, header + ",outbound,1,0.02,60/60\n,outbound,44,0.03,60/60\n")
    run(tmp_path, header + ",outbound,1,0.02,60/60\n,outbound,44,0.035,30/6\n")
    assert table() == {
        ("", "outbound", "1", Decimal("0.02"), "60/60"),
        ("", "outbound", "44", Decimal("0.035"), "30/6"),
    }
    assert (
        "created 0, updated 1, unchanged 1, deleted 0" in capsys.readouterr().out.splitlines()[-1]
    )


def test_upsert_keeps_rates_the_file_leaves_out_and_replace_deletes_them(tmp_path, capsys):
    account, other = AccountFactory(), AccountFactory()
    header = "account,direction,prefix,rate,increment\n"
    run(
        tmp_path,
        header
        + f"{account.auth_id},outbound,1,0.02,60/60\n{account.auth_id},outbound,44,0.03,60/60\n"
        + f"{other.auth_id},outbound,1,0.05,60/60\n,outbound,1,0.09,60/60\n",
    )
    run(tmp_path, header + f"{account.auth_id},outbound,1,0.02,60/60\n")
    assert len(table()) == 4
    run(tmp_path, header + f"{account.auth_id},outbound,1,0.02,60/60\n", "--replace")
    # Only the named account's table is replaced: the other account and the default stay.
    assert table() == {
        (account.auth_id, "outbound", "1", Decimal("0.02"), "60/60"),
        (other.auth_id, "outbound", "1", Decimal("0.05"), "60/60"),
        ("", "outbound", "1", Decimal("0.09"), "60/60"),
    }
    assert "deleted 1" in capsys.readouterr().out.splitlines()[-1]


BAD_LINES = [
    ("MAXXXXXXXXXXXXXXXXXX,outbound,1,0.01,60/60", "no account has auth id 'MAXXXXXXXXXXXXXXXXXX'"),
    (",sideways,1,0.01,60/60", "direction 'sideways' is not outbound or inbound"),
    (",outbound,1-415,0.01,60/60", "prefix '1-415' is not digits"),
    (",outbound,123456789012345678901,0.01,60/60",
     "prefix '123456789012345678901' is longer than 20 digits"),
    (",outbound,1,cheap,60/60", "rate 'cheap' is not a decimal number"),
    (",outbound,1,-0.01,60/60", "rate '-0.01' is not between 0 and"),
    (",outbound,1,NaN,60/60", "rate 'NaN' is not between 0 and"),
    (",outbound,1,0.000001,60/60", "rate '0.000001' has more than 5 decimals"),
    (",outbound,1,0.01,60", "increment '60' is not first/next in seconds"),
    (",outbound,1,0.01,0/60", "increment '0/60': both intervals must be 1 to 3600 seconds"),
    (",outbound,1,0.01,60/60,extra", "more cells than the header has columns"),
    (",outbound,1,0.01", "fewer cells than the header has columns"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_a_bad_line_is_reported_with_its_reason_and_nothing_changes(tmp_path, capsys, line, reason):
    header = "account,direction,prefix,rate,increment\n"
    with pytest.raises(CommandError, match=r"1 bad line\(s\); no rate was changed"):
        run(tmp_path, header + ",outbound,1,0.02,60/60\n" + line + "\n")
    assert f"line 3: {reason}" in capsys.readouterr().err
    assert Rate.objects.count() == 0


def test_every_bad_line_is_reported_at_once(tmp_path, capsys):
    text = "account,direction,prefix,rate,increment\n,up,1,0.02,60/60\n,outbound,1,x,60/60\n"
    with pytest.raises(CommandError, match="2 bad line"):
        run(tmp_path, text)
    err = capsys.readouterr().err
    assert "line 2: direction 'up'" in err and "line 3: rate 'x'" in err


def test_the_same_key_twice_in_a_file_is_a_bad_line(tmp_path, capsys):
    text = (
        "account,direction,prefix,rate,increment\n,outbound,1,0.02,60/60\n,outbound,+1,0.03,60/60\n"
    )
    with pytest.raises(CommandError):
        run(tmp_path, text)
    assert "line 3: line 2 already has account (default), direction outbound, prefix 1" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the file is empty"),
        ("account,direction,prefix,rate\n", "the header lacks increment"),
        ("account,direction,prefix,rate,increment,notes\n", "unknown column 'notes'"),
    ],
)
def test_a_bad_header_is_reported(tmp_path, capsys, text, reason):
    with pytest.raises(CommandError):
        run(tmp_path, text)
    assert f"line 1: {reason}" in capsys.readouterr().err


def test_dry_run_checks_without_changing_anything(tmp_path, capsys):
    run(tmp_path, "account,direction,prefix,rate,increment\n,outbound,1,0.02,60/60\n", "--dry-run")
    assert Rate.objects.count() == 0
    assert "1 rate(s), all good" in capsys.readouterr().out


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_rates", str(tmp_path / "nope.csv"))
