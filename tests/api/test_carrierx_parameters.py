"""The CarrierX query parameters' catalogue, derived from the face's tables: the schema's
parameters (calls/carrierx/schema.py, which the view takes as its list) and the CDR's
fields (calls/carrierx/cdr.py, which `filter` may name). Each refused value is a 400 in
CarrierX's shape naming the parameter, or the field within `filter`, with the sentence
given here; random values against the whole schema are the fuzz test's
(tests/api/test_fuzz.py), the filter language's syntax test_carrierx_parser.py's, and the
rules tying parameters together test_rules.py's.
"""

import pytest
from django.test import Client

from calls.carrierx import schema
from calls.carrierx.cdr import FIELDS

pytestmark = pytest.mark.django_db
URL = "/core/v2/calls/call_drs"
SID = "c02a73b2-8401-459a-af7e-f4cc3eee7854"

# Per parameter: (value, the sentence of its 400). Every parameter of the list has a row.
REFUSED = {
    "limit": [(v, "Invalid limit: expected a whole number from 1 to 1000.")
              for v in ["0", "1001", "ten", "", "-1", "1.5"]],
    "offset": [(v, "Invalid offset: expected a whole number from 0 to 2147483647.")
               for v in ["-1", "x", "", "2147483648"]],
    "after": [(v, "after must be the dr_sid (a UUID) of a visible CDR.")
              for v in ["not-a-uuid", "", "' OR '1'='1"]],
    "before": [(v, "before must be the dr_sid (a UUID) of a visible CDR.")
               for v in ["not-a-uuid", "", "' OR '1'='1"]],
    "order": [
        ("date_stop sideways", "Write order as <field> asc or <field> desc."),
        ("Date_stop", "Write order as <field> asc or <field> desc."),
        ("", "Write order as <field> asc or <field> desc."),
        ("nosuch asc", "'nosuch' is not a field that can be ordered on."),
        ("user_data desc", "'user_data' is not a field that can be ordered on."),
    ],
    "filter": [
        ("", "The filter is empty; write field op value, e.g. direction eq inbound."),
        ("nosuch eq 1", "'nosuch' is not a field of the CDR object."),
        ("' OR '1'='1", "Expected a field name, found ' OR '."),
    ],
    "include_fields": [
        ("a,,b", "Expected field names separated by commas."),
        ("", "Expected field names separated by commas."),
        ("nosuch,dr_sid", "Unknown field(s): nosuch."),
    ],
    "exclude_fields": [
        ("Dr_sid", "Expected field names separated by commas."),
        ("dr_sid,nosuch", "Unknown field(s): nosuch."),
    ],
    "total": [(v, "Expected true or false.") for v in ["yes", "True", "", "1"]],
}  # fmt: skip

# A value each kind of CDR field refuses in a filter, and what the 400 says of it.
_KINDS = {
    "datetime": "UTC date and time (2026-11-20T14:18:35.000Z or 2026-11-20 14:18:35)",
    "uuid": "UUID",
    "decimal": "decimal number",
    "int": "whole number",
    "intstr": "whole number",
    "bool": "boolean (true or false)",
}
_BAD_VALUE = {"datetime": "yesterday", "uuid": "x1", "decimal": "cheap", "int": "1.5",
              "intstr": "1e3", "bool": "yes"}  # fmt: skip


@pytest.fixture
def cx(main_account, bearer, settings):
    settings.THROTTLE_CARRIERX_TOKEN = "1000000/1s"  # a catalogue is many quick requests
    _, secret = bearer(main_account)
    client = Client()

    def get(path="", query=None, **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if query is not None:
            return client.get(URL + path, QUERY_STRING=query, **headers)
        return client.get(URL + path, params, **headers)

    return get


def _refused(response, field: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["message"] == "invalid request" and len(body["errors"]) == 1, body
    assert body["errors"][0]["field"] == field, body
    return body["errors"][0]["message"]


def test_every_parameter_of_the_list_has_a_catalogue():
    assert set(REFUSED) == {p.name for p in schema.LIST_PARAMETERS}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_each_parameter_refuses_what_it_cannot_take_naming_itself(cx, name):
    for value, says in REFUSED[name]:
        assert _refused(cx(**{name: value}), name) == says, value


@pytest.mark.parametrize("name", ["include_fields", "exclude_fields"])
def test_retrieve_takes_only_the_field_lists(cx, main_account, name):
    from tests.factories import CallFactory

    sid = CallFactory(account=main_account).call_uuid
    for value, says in REFUSED[name]:
        assert _refused(cx(f"/{sid}", **{name: value}), name) == says, value
    unknown = cx(f"/{sid}", limit="1")
    assert _refused(unknown, "limit").startswith("Unknown parameter 'limit'")


def test_every_field_refuses_a_value_not_of_its_kind_naming_itself(cx):
    for field, (_, kind) in FIELDS.items():
        if kind == "json":
            said = _refused(cx(filter=f"{field} eq x"), field)
            assert said == "Filter on a key of user_data: user_data.<key>."
        elif kind == "text":
            long = "a" * 257
            said = _refused(cx(filter=f"{field} eq {long}"), field)
            assert said == f"The value for {field} is longer than 256 characters."
        else:
            value = _BAD_VALUE[kind]
            said = _refused(cx(filter=f"{field} eq {value}"), field)
            assert said == f"{value!r} is not a valid {_KINDS[kind]} for {field}.", field


def test_every_field_takes_only_its_kinds_operators(cx):
    for field, (_, kind) in FIELDS.items():
        if kind in {"json", "text"}:
            continue
        said = _refused(cx(filter=f"{field} like x"), field)
        assert said == f"like works on text fields; {field} is not one.", field
        if kind == "bool":  # neither ordered nor null-compared but by eq and ne
            said = _refused(cx(filter=f"{field} ge true"), field)
            assert said == f"{field} cannot be compared with ge.", field
        else:
            said = _refused(cx(filter=f"{field} gt null"), field)
            assert said == f"null compares only with eq or ne ({field}).", field


def test_unknown_and_repeated_parameters(cx):
    accepted = ", ".join(sorted(p.name for p in schema.LIST_PARAMETERS))
    said = _refused(cx(colour="blue"), "colour")
    assert said == f"Unknown parameter 'colour'; accepted parameters are: {accepted}."
    said = _refused(cx(query="limit=1&limit=2"), "limit")
    assert said == "The parameter 'limit' was given more than once."
