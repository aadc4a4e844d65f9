"""Each rule the schema cannot state (calls/query/rules.py) is what the server really answers.

The fuzz test excuses a refused schema-valid request only by these rules' messages, so each
rule of the list is provoked here (the parametrization is the list itself) and its answer
must match the rule exactly; a rule with no request that breaks it, or a message that
drifted from its rule, fails. And no source but the list spells a rule's words, so a raise
site cannot drift from it.
"""

import ast
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.test import Client, override_settings

from calls.query import rules
from tests.api.conftest import NOW, basic
from tests.factories import CallFactory
from tests.servers import ROOT

pytestmark = pytest.mark.django_db
CX = "/core/v2/calls/call_drs"
APPLICATION = ("calls", "cdrapi", "accounts")  # the source a rule's message may be raised from


def _message(response) -> str:
    body = response.json()
    return body["error"] if "error" in body else body["errors"][0]["message"]


def _assert_breaks(response, rule: rules.Rule) -> None:
    assert response.status_code == rule.status, response.content
    assert rule.matches(_message(response)), _message(response)
    assert rules.broken_by(response.status_code, _message(response)) is rule


@dataclass
class Faces:
    """Both faces, as the main account, with two of its calls an hour apart (NOW frozen)."""

    plivo: Callable[..., object]
    cx: Callable[..., object]
    main: object
    sub: object
    sid: str  # the dr_sid of the newer call
    stranger: str  # the dr_sid of another account's call

    def cursor(self, **params) -> str:
        link = self.plivo(self.main, limit="1", **params).json()["meta"]["next"]
        return parse_qs(urlparse(link).query)["cursor"][0]


@pytest.fixture
def faces(frozen, plivo, main_account, subaccount, other_account, bearer) -> Faces:
    calls = [CallFactory(account=main_account, end_time=NOW - timedelta(hours=h)) for h in (1, 2)]
    stranger = CallFactory(account=other_account, end_time=NOW - timedelta(hours=1))
    _, secret = bearer(main_account)

    def cx(path="", **params):
        return Client().get(CX + path, params, HTTP_AUTHORIZATION=f"Bearer {secret}")

    return Faces(plivo, cx, main_account, subaccount, str(calls[0].call_uuid),
                 str(stranger.call_uuid))  # fmt: skip


def _expired(f: Faces):
    cursor = f.cursor()
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        return f.plivo(f.main, cursor=cursor)


@override_settings(MAX_QUERY_STRING_BYTES=256)
def _oversized(f: Faces, face: str):
    url = CX if face == "carrierx" else f"/v1/Account/{f.main.auth_id}/Call/"
    return Client().get(url, {"to_number": "1" * 300}, **basic(f.main))


# Each rule, and the requests that break it: every one must be answered with exactly the
# rule's status and message. A rule missing here fails test_each_rule_is_what_a_face_says.
PROVOKE = {
    rules.WINDOW_BEFORE_RETENTION: [lambda f: f.plivo(f.main, end_time__lte="2026-01-01 00:00")],
    rules.WINDOW_IN_FUTURE: [lambda f: f.plivo(f.main, end_time__gte="2026-12-01 00:00")],
    rules.WINDOW_REVERSED: [lambda f: f.plivo(f.main, end_time__gte="2026-11-10 00:00",
                                              end_time__lte="2026-11-09 00:00")],
    rules.WINDOW_TOO_WIDE: [lambda f: f.plivo(f.main, end_time__gte="2026-10-01 00:00")],
    rules.CURSOR_ALTERED: [lambda f: f.plivo(f.main, cursor=f.cursor()[:-2] + "xx"),
                           lambda f: f.plivo(f.main, cursor="x")],
    rules.CURSOR_EXPIRED: [_expired],
    rules.CURSOR_OTHER_QUERY: [lambda f: f.plivo(f.main, cursor=f.cursor(),
                                                 call_direction="inbound")],
    rules.CURSOR_OFFSET: [lambda f: f.plivo(f.main, cursor=f.cursor(), offset="7")],
    rules.SUBACCOUNT_CALLER: [lambda f: f.plivo(f.sub, subaccount=f.sub.auth_id)],
    rules.CALL_UUID_MISMATCH: [lambda f: f.plivo(f.main, uuid=f.sid, call_uuid="0" * 32)],
    rules.AFTER_AND_BEFORE: [lambda f: f.cx(after=f.sid, before=f.sid)],
    rules.OFFSET_WITH_KEYSET: [lambda f: f.cx(after=f.sid, offset="3")],
    rules.ORDER_WITH_KEYSET: [lambda f: f.cx(before=f.sid, order="price asc")],
    rules.KEYSET_NOT_VISIBLE: [lambda f: f.cx(after=f.stranger)],
    rules.FILTER_BEFORE_RETENTION: [
        lambda f: f.cx(filter="date_stop lt 2026-01-01T00:00:00.000Z")],
    rules.FILTER_TOO_WIDE: [
        lambda f: f.cx(filter="date_stop ge 2026-09-01T00:00 and date_stop le 2026-11-01T00:00")],
    rules.QUERY_TOO_LONG: [lambda f: _oversized(f, "plivo"), lambda f: _oversized(f, "carrierx")],
}  # fmt: skip
NAMES = {rule: name for name, rule in vars(rules).items() if isinstance(rule, rules.Rule)}


@pytest.mark.parametrize("rule", rules.ALL, ids=NAMES.get)
def test_each_rule_is_what_a_face_says(faces, rule):
    assert PROVOKE.get(rule), f"no request here breaks rules.{NAMES[rule]}: add one to PROVOKE"
    for provoke in PROVOKE[rule]:
        _assert_breaks(provoke(faces), rule)


def test_next_to_each_rule_what_it_allows_is_answered(faces):
    """The same requests one step inside each rule are served (the rules refuse no more)."""
    assert faces.plivo(faces.main, uuid=faces.sid, call_uuid=faces.sid.upper()).status_code == 200
    assert faces.plivo(faces.main, cursor=faces.cursor(), offset="1").status_code == 200
    assert faces.cx(after=faces.sid, offset="0").status_code == 200
    assert faces.cx(before=faces.sid, order="date_stop asc").status_code == 200


def _spelled_outside_the_list() -> set[tuple[str, str]]:
    """(rule, file) for each string in the application's source, outside rules.py, that
    holds a piece of a rule's message: what would drift from the list unseen."""
    pieces = {
        name: [text for text, *_ in string.Formatter().parse(rule.message) if len(text) >= 12]
        for rule, name in NAMES.items()
    }
    assert all(pieces.values()), pieces  # every message has words to look for
    found = set()
    for path in sorted(p for top in APPLICATION for p in (ROOT / top).rglob("*.py")):
        if path == Path(rules.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found |= {(name, str(path.relative_to(ROOT))) for name, texts in pieces.items()
                          if any(text in node.value for text in texts)}  # fmt: skip
    return found


def test_each_rules_message_is_spelled_once_in_the_list():
    """Raise sites say `rules.X.format(...)`: no other source spells a rule's words. The
    414's template is the project middleware's own (cdrapi does not import the apps' list);
    the list takes it from there."""
    assert _spelled_outside_the_list() == {("QUERY_TOO_LONG", "cdrapi/middleware.py")}


def test_a_message_matches_its_rule_only_as_a_whole():
    rule = rules.KEYSET_NOT_VISIBLE
    assert rule.matches("No visible CDR has the dr_sid given as after.")
    assert not rule.matches("No visible CDR has the dr_sid given as after. And more.")
    assert not rule.matches("Invalid limit: expected a whole number from 1 to 5.")
    assert rules.broken_by(400, "Invalid limit: expected a whole number from 1 to 5.") is None
    assert rules.broken_by(414, rule.format(param="after")) is None  # wrong status
