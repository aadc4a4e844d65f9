"""The Zentrunk call's Insights object (GET …/Zentrunk/Call/{call_uuid}/Insights/,
docs/plivo.md, "Call insights"): the two parties as numbers with their country, region
and carrier, the hangup, and the call's quality figures, null where the source did not
report them.

Region and carrier come from libphonenumber's offline data (`phonenumbers`): the
number's geographic description and, for mobile ranges, the carrier that was assigned
it (numbers may since have been ported: the name is the range's, not the subscriber's).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import carrier, geocoder
from rest_framework import serializers

from calls.vocabulary.hangup import name_for

COLUMNS = ("call_uuid", "product", "from_number", "to_number", "from_country", "to_country",
           "hangup_cause_code", "hangup_source", "rtt", "jitter", "packet_loss",
           "post_dial_delay", "quality_score")  # fmt: skip


@lru_cache(maxsize=4096)
def party(number: str, country: str | None) -> dict:
    """{number, country, region, carrier} of one side; unknown parts are null."""
    region = operator = None
    try:
        parsed = phonenumbers.parse(number if number.startswith("+") else f"+{number}")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        region = geocoder.description_for_number(parsed, "en") or None
        operator = carrier.name_for_number(parsed, "en") or None
        country = country or phonenumbers.region_code_for_number(parsed)
    return {"carrier": operator, "country": country, "number": number, "region": region}


def insights_object(row: tuple) -> dict:
    (call_uuid, product, from_number, to_number, from_country, to_country, code, source,
     rtt, jitter, packet_loss, post_dial_delay, quality_score) = row  # fmt: skip
    return {
        "call_uuid": str(call_uuid),
        "from": party(from_number, from_country),
        "hangup_cause": name_for(product, code),
        "hangup_cause_code": code,
        "hangup_source": source,
        "jitter": jitter,
        "packet_loss": packet_loss,
        "plivo_quality_score": quality_score,
        "post_dial_delay": post_dial_delay,
        "rtt": rtt,
        "to": party(to_number, to_country),
    }


class PartySerializer(serializers.Serializer):  # documentation only (OpenAPI)
    carrier = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    number = serializers.CharField()
    region = serializers.CharField(allow_null=True)


class InsightsSerializer(serializers.Serializer):  # documentation only (OpenAPI)
    api_id = serializers.UUIDField()
    call_uuid = serializers.UUIDField()
    hangup_cause = serializers.CharField()
    hangup_cause_code = serializers.IntegerField()
    hangup_source = serializers.CharField()
    jitter = serializers.FloatField(allow_null=True)
    packet_loss = serializers.FloatField(allow_null=True)
    plivo_quality_score = serializers.FloatField(allow_null=True)
    post_dial_delay = serializers.FloatField(allow_null=True)
    rtt = serializers.FloatField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = PartySerializer()
        fields["to"] = PartySerializer()
        return fields
