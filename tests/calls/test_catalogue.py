"""Plivo's two hangup-cause catalogues, pinned to the vendor's pages (as copied in
/work/shared/spec/plivo-hangup-causes.md), and number normalisation."""

import pytest

from calls.models import HangupCause, normalise_number
from calls.vocabulary import hangup
from calls.vocabulary.choices import PRODUCTS
from calls.vocabulary.hangup import FAR, HANGUP_SOURCES_BY_PRODUCT, NEAR

# A handful of each table, typed from the vendor's pages, not read from our catalogue. The
# numbers collide across the tables with other meanings: 3000, 3010, 4000, 5000, 6000...
PINNED = [
    ("voice", 0, "Unknown"),
    ("voice", 1000, "Canceled"),
    ("voice", 2050, "Destination Prefix Barred"),
    ("voice", 3000, "No Answer"),
    ("voice", 3010, "Busy Line"),
    ("voice", 3050, "Unallocated number"),
    ("voice", 4000, "Normal Hangup"),
    ("voice", 5000, "Network Error"),
    ("voice", 6000, "Scheduled Hangup"),
    ("voice", 7034, "Invalid Method For Redirect URL"),
    ("voice", 8014, "Invalid Redirect XML"),
    ("voice", 9110, "Confirm Key Challenge Failed"),
    ("zentrunk", 3000, "normal_hangup"),
    ("zentrunk", 3010, "normal_hangup"),
    ("zentrunk", 3020, "rtp_timeout"),
    ("zentrunk", 4000, "bad_request"),
    ("zentrunk", 4030, "insufficient_plivo_credits"),
    ("zentrunk", 4410, "user_busy"),
    ("zentrunk", 4590, "domestic_anchored_terms_not_met"),
    ("zentrunk", 5000, "service_unavailable_no_more_destinations"),
    ("zentrunk", 5320, "service_interrupted_by_carrier_5xx_6xx"),
    ("zentrunk", 6000, "busy_everywhere"),
    ("zentrunk", 6030, "alloted_timeout"),  # sic: the vendor's spelling
    ("zentrunk", 6070, "not_acceptable"),
]


@pytest.mark.parametrize(("product", "code", "name"), PINNED)
def test_codes_read_as_the_vendor_names_them_in_their_product(product, code, name):
    assert hangup.name_for(product, code) == name


def test_both_tables_are_complete():
    # 53 Voice codes from 0 to 9110, 79 Zentrunk codes from 3000 to 6070.
    voice = {c.code for c in hangup.causes("voice")}
    zentrunk = {c.code for c in hangup.causes("zentrunk")}
    assert (len(voice), min(voice), max(voice)) == (53, 0, 9110)
    assert (len(zentrunk), min(zentrunk), max(zentrunk)) == (79, 3000, 6070)
    assert len(hangup.CATALOGUE) == 53 + 79  # no code twice in a table


def test_every_entry_carries_what_the_seeder_draws_with():
    for cause in hangup.CATALOGUE:
        assert cause.product in PRODUCTS
        assert cause.weight > 0 and isinstance(cause.answered, bool)
        # Who ends a call with it: the product's own sources (Zentrunk may say a side).
        sides = (NEAR, FAR) if cause.product == "zentrunk" else ()
        assert cause.ends and set(cause.ends) <= {*HANGUP_SOURCES_BY_PRODUCT[cause.product], *sides}


@pytest.mark.django_db
def test_migrate_loads_exactly_the_catalogue():
    stored = sorted(HangupCause.objects.values_list("product", "code", "name"))
    assert stored == sorted((c.product, c.code, c.name) for c in hangup.CATALOGUE)
    assert HangupCause.objects.get(product="voice", code=3000).name == "No Answer"
    assert HangupCause.objects.get(product="zentrunk", code=3000).name == "normal_hangup"


@pytest.mark.parametrize(
    ("product", "code", "name"),
    [("voice", 123456, "Unknown"), ("voice", 4410, "Unknown"), ("zentrunk", 0, "unknown"),
     ("zentrunk", 9110, "unknown"), ("zentrunk", -1, "unknown")],
)  # fmt: skip
def test_a_code_outside_its_products_table_reads_unknown_in_that_products_style(
    product, code, name
):
    assert hangup.name_for(product, code) == name


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
