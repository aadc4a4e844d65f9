import json

import pytest

from calls.models import HangupCause, normalise_number
from calls.store import catalogue as hangup_causes


@pytest.mark.django_db
def test_migrate_loads_the_whole_hangup_cause_catalogue():
    shipped = json.loads(hangup_causes.CATALOGUE_PATH.read_text())
    stored = dict(HangupCause.objects.values_list("code", "name"))
    assert stored == {entry["code"]: entry["name"] for entry in shipped}
    assert stored[4000] == "Normal Hangup"


def test_names_follow_from_codes_and_unknown_codes_read_unknown():
    assert hangup_causes.name_for(3000) == "Busy Line"
    assert hangup_causes.name_for(123456) == "Unknown"


@pytest.mark.parametrize(
    ("recorded", "normalised"),
    [
        ("+14155550100", "14155550100"),
        ("14155550100", "14155550100"),
        ("sip:alice@example.com", "alice"),
        ("sips:+4420@host;transport=tls", "4420"),
        ("SIP:bob@h", "bob"),
    ],
)
def test_numbers_are_normalised_for_prefix_matching(recorded, normalised):
    assert normalise_number(recorded) == normalised
