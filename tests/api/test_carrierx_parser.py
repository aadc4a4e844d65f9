"""The filter parser on its own: every operator, quoting, and every syntax error."""

import pytest

from calls.carrierx.filter_language import Clause, FilterSyntaxError, parse, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("direction eq inbound", [Clause("direction", "eq", ("inbound",))]),
        ("duration_billing ne 60", [Clause("duration_billing", "ne", ("60",))]),
        ("price gt 0.01", [Clause("price", "gt", ("0.01",))]),
        ("price ge 0.01", [Clause("price", "ge", ("0.01",))]),
        (
            "date_stop lt 2026-11-20T10:00:00.000Z",
            [Clause("date_stop", "lt", ("2026-11-20T10:00:00.000Z",))],
        ),
        ("version le 2", [Clause("version", "le", ("2",))]),
        ("number_src like '+1415%'", [Clause("number_src", "like", ("+1415%",))]),
        ("codec_src ilike 'G7%'", [Clause("codec_src", "ilike", ("G7%",))]),
        (
            "direction in (inbound,outbound)",
            [Clause("direction", "in", ("inbound", "outbound"))],
        ),
        (
            "codec_src nin ( 'pcmu' , \"g 722\" )",
            [Clause("codec_src", "nin", ("pcmu", "g 722"))],
        ),
        ("cic eq null", [Clause("cic", "eq", (None,))]),
        ("cic ne NULL", [Clause("cic", "ne", (None,))]),
        ("cic eq 'null'", [Clause("cic", "eq", ("null",))]),  # quoted: the word itself
        ("user_data.team eq 'night shift'", [Clause("user_data.team", "eq", ("night shift",))]),
        ("identity eq 'O''Brien'", [Clause("identity", "eq", ("O'Brien",))]),
        ('identity eq "say ""hi"""', [Clause("identity", "eq", ('say "hi"',))]),
        (
            "direction EQ inbound AND price Gt 0",
            [Clause("direction", "eq", ("inbound",)), Clause("price", "gt", ("0",))],
        ),
        (
            "number_dst eq '1;DROP TABLE calls_call;--'",
            [Clause("number_dst", "eq", ("1;DROP TABLE calls_call;--",))],
        ),
        ("number_dst eq ١٢٣", [Clause("number_dst", "eq", ("١٢٣",))]),
    ],
)
def test_it_parses(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("direction", "needs an operator"),
        ("direction eq", "needs a value"),
        ("direction equals inbound", "Unknown operator 'equals'"),
        ("direction eq inbound or direction eq outbound", "'or' is not supported"),
        ("not direction eq inbound", "only 'and'"),
        ("direction eq inbound and", "ends with 'and'"),
        ("direction eq inbound direction eq outbound", "Expected 'and'"),
        ("(direction eq inbound)", "parentheses only enclose in/nin lists"),
        ("direction in inbound", "needs a list in parentheses"),
        ("direction in (inbound", "not closed"),
        ("direction in (inbound,)", "empty item"),
        ("direction in (inbound outbound)", "separated by commas"),
        ("direction eq 'inbound", "quote is not closed"),
        ("'direction' eq inbound", "Expected a field name"),
        ("direction eq inbound\x00", "NUL"),
        ("x eq " + "a" * 5000, "longer than"),
        (" and ".join(["version eq 2"] * 21), "at most 20"),
    ],
)
def test_bad_syntax_is_an_error_naming_the_problem(text, needle):
    with pytest.raises(FilterSyntaxError, match=None) as caught:
        parse(text)
    assert needle in str(caught.value)


def test_tokens_keep_quoted_words_apart_from_keywords():
    tokens = tokenize("a eq 'and' and b in (1,'2')")
    assert [(t.text, t.quoted) for t in tokens] == [
        ("a", False), ("eq", False), ("and", True), ("and", False), ("b", False),
        ("in", False), ("(", False), ("1", False), (",", False), ("2", True), (")", False),
    ]  # fmt: skip
