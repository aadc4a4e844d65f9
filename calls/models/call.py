"""The call detail record store behind both API faces (docs/architecture.md, "The store").

One row per completed call. Plivo names are the column names where the faces share a
field; CarrierX-only fields keep CarrierX names. On PostgreSQL the table is range-
partitioned on `end_time` (see calls/store/partitions.py); Django still sees one table, with
`call_uuid` as its key: the physical primary key is (call_uuid, end_time), as
PostgreSQL requires the partition key in every unique constraint, and the key table
(calls/store/keys.py) keeps call_uuid unique across partitions.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now

from calls.store import keys
from calls.vocabulary.choices import DIRECTIONS, PRODUCTS, STIR_VERIFICATIONS, TRANSPORTS, ZENTRUNK
from calls.vocabulary.hangup import HANGUP_SOURCES


def normalise_number(raw: str) -> str:
    """The form used for prefix matching: the user part of a SIP URI, leading `+` dropped.

    `+14155550100` -> `14155550100`; `sip:alice@example.com` -> `alice`.
    """
    value = raw.strip()
    lowered = value.lower()
    if lowered.startswith(("sip:", "sips:")):
        value = value.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    return value[1:] if value.startswith("+") else value


class CallQuerySet(models.QuerySet):
    def visible_to(self, account_ids: list[int]) -> CallQuerySet:
        return self.filter(account_id__in=account_ids)

    def newest_first(self) -> CallQuerySet:
        # call_uuid breaks ties so that pages never overlap or skip.
        return self.order_by("-end_time", "-call_uuid")

    def retained(self, cutoff: datetime) -> CallQuerySet:
        return self.filter(end_time__gte=cutoff)

    def by_uuid(self, call_uuid: uuid.UUID) -> CallQuerySet:
        """The call with this uuid (at most one row).

        On PostgreSQL a bare `call_uuid =` cannot be pruned by end time, so it probes an
        index in every partition; this reads the call's end_time from the key table
        first (an initplan) and the executor then opens the one partition that holds it.
        """
        found = self.filter(call_uuid=call_uuid)
        if connections[self.db].vendor != "postgresql":
            return found
        return found.filter(end_time=RawSQL(keys.end_time_sql(), [call_uuid]))


class Call(models.Model):
    # --- identity and ownership
    call_uuid = models.UUIDField(primary_key=True)  # CarrierX dr_sid
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="calls",
        # No database FK: checking it would halve COPY speed on hundreds of millions of
        # rows. Accounts are deactivated, never deleted (PROTECT guards the ORM path).
        db_constraint=False,
        db_index=False,
    )
    parent_call_uuid = models.UUIDField(null=True, blank=True)
    product = models.CharField(
        max_length=8, choices=[(p, p) for p in PRODUCTS], default=ZENTRUNK, db_default=ZENTRUNK
    )

    # --- parties
    from_number = models.CharField(max_length=128)  # CarrierX number_src, as recorded
    to_number = models.CharField(max_length=128)  # CarrierX number_dst, as recorded
    from_number_norm = models.CharField(max_length=128, editable=False)
    to_number_norm = models.CharField(max_length=128, editable=False)
    call_direction = models.CharField(
        max_length=8, choices=[(d, d) for d in DIRECTIONS]
    )  # CarrierX direction

    # --- timing
    initiation_time = models.DateTimeField()  # CarrierX date_start
    answer_time = models.DateTimeField(null=True, blank=True)  # CarrierX date_talk
    end_time = models.DateTimeField()  # CarrierX date_stop; the partition key
    date_insert = models.DateTimeField(db_default=Now())
    call_duration = models.PositiveIntegerField()  # whole seconds, initiation to end
    duration = models.DecimalField(max_digits=14, decimal_places=5)  # CarrierX, exact seconds
    bill_duration = models.PositiveIntegerField()  # seconds talked
    billed_duration = models.PositiveIntegerField()  # CarrierX duration_billing (rounded up)

    # --- billing
    total_amount = models.DecimalField(max_digits=14, decimal_places=5)  # CarrierX price
    total_rate = models.DecimalField(max_digits=14, decimal_places=5)  # CarrierX rate
    price_lcr_src = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    price_lcr_dst = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    rate_lcr_src = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    rate_lcr_dst = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)

    # --- hangup
    hangup_cause_code = models.IntegerField()
    hangup_source = models.CharField(max_length=16, choices=[(s, s) for s in HANGUP_SOURCES])
    sipcause = models.CharField(max_length=8, blank=True)
    disconnect_originator = models.CharField(max_length=16, blank=True)

    # --- STIR/SHAKEN
    stir_verification = models.CharField(
        max_length=16, choices=[(s, s) for s in STIR_VERIFICATIONS]
    )
    stir_attest = models.CharField(max_length=1, null=True, blank=True)
    stir_identity = models.CharField(max_length=16, null=True, blank=True)
    stir_orig_id = models.CharField(max_length=128, null=True, blank=True)
    stir_signing_entity = models.CharField(max_length=128, null=True, blank=True)
    stir_verstat = models.CharField(max_length=64, null=True, blank=True)

    # --- SIP trunking (the Zentrunk call object); attestation_indicator is stir_attest
    trunk_domain = models.CharField(max_length=255, null=True, blank=True)
    from_country = models.CharField(max_length=2, null=True, blank=True)  # ISO 3166 alpha-2
    to_country = models.CharField(max_length=2, null=True, blank=True)
    transport_protocol = models.CharField(
        max_length=3, null=True, blank=True, choices=[(t, t) for t in TRANSPORTS]
    )
    srtp = models.BooleanField(default=False, db_default=False)
    secure_trunking = models.BooleanField(default=False, db_default=False)
    secure_trunking_rate = models.DecimalField(
        max_digits=14, decimal_places=5, null=True, blank=True
    )

    # --- call quality (Insights); null where the source did not report it
    rtt = models.FloatField(null=True, blank=True)  # round-trip time, ms
    jitter = models.FloatField(null=True, blank=True)  # ms
    packet_loss = models.FloatField(null=True, blank=True)  # percent of packets
    post_dial_delay = models.FloatField(null=True, blank=True)  # seconds, dial to ringing
    quality_score = models.FloatField(null=True, blank=True)  # MOS-like, 1 to 5

    # --- CarrierX numbers, routing and media
    number_billing = models.CharField(max_length=128, null=True, blank=True)
    number_external = models.CharField(max_length=128, null=True, blank=True)
    number_src_original = models.CharField(max_length=128, null=True, blank=True)
    number_src_transformed = models.CharField(max_length=128, null=True, blank=True)
    number_dst_original = models.CharField(max_length=128, null=True, blank=True)
    number_dst_transformed = models.CharField(max_length=128, null=True, blank=True)
    diversion_src = models.CharField(max_length=128, null=True, blank=True)
    diversion_dst = models.CharField(max_length=128, null=True, blank=True)
    cic = models.CharField(max_length=16, null=True, blank=True)
    cic_original = models.CharField(max_length=16, null=True, blank=True)
    cic_transformed = models.CharField(max_length=16, null=True, blank=True)
    codec_src = models.CharField(max_length=32, null=True, blank=True)
    codec_dst = models.CharField(max_length=32, null=True, blank=True)
    transcoded = models.BooleanField(default=False)
    ip_src = models.CharField(max_length=64, null=True, blank=True)  # may carry a :port
    ip_dst = models.CharField(max_length=64, null=True, blank=True)
    sipcallid_src = models.CharField(max_length=255, null=True, blank=True)
    sipcallid_dst = models.CharField(max_length=255, null=True, blank=True)
    trunk_sid_src = models.UUIDField(null=True, blank=True)
    trunk_sid_dst = models.UUIDField(null=True, blank=True)
    trunk_group_sid_src = models.UUIDField(null=True, blank=True)
    trunk_group_sid_dst = models.UUIDField(null=True, blank=True)
    endpoint_sid_src = models.UUIDField(null=True, blank=True)
    endpoint_sid_dst = models.UUIDField(null=True, blank=True)
    identity = models.TextField(null=True, blank=True)
    type = models.CharField(max_length=32, default="telecom")
    user_data = models.JSONField(default=dict, blank=True)
    version = models.PositiveSmallIntegerField(default=2)

    objects = CallQuerySet.as_manager()

    class Meta:
        indexes = [
            # Every list query: one account (or a few), newest first, ties by uuid. On
            # PostgreSQL it also INCLUDEs the narrow filter columns (migration 0009), so
            # filtered totals and page keys are index-only scans (docs/performance.md).
            models.Index(
                "account",
                models.F("end_time").desc(),
                models.F("call_uuid").desc(),
                name="call_account_end_idx",
            ),
            # The admin's lists across all accounts, newest first, and end-time range scans
            # (the chart, purge's boundary batches): without it every such page sorts the
            # whole window (680 ms for 7 days at 10M rows; see bench/admin_changelist.py).
            models.Index(
                models.F("end_time").desc(),
                models.F("call_uuid").desc(),
                name="call_end_idx",
            ),
            # An equality on the hangup cause over a long window reads only its calls.
            models.Index(
                fields=["account", "hangup_cause_code", "-end_time", "-call_uuid"],
                name="call_account_cause_idx",
            ),
            # Child legs of one call; partial: only child legs (a few percent) pay for it.
            models.Index(
                fields=["parent_call_uuid"],
                condition=models.Q(parent_call_uuid__isnull=False),
                name="call_parent_idx",
            ),
            # from_number / to_number prefix filters within an account: a LIKE 'prefix%'
            # range scan (pattern opclasses; PostgreSQL only, plain indexes on SQLite).
            # They INCLUDE the product, which every Plivo total restricts, so a number's
            # total is an index-only count (the busiest number of the benchmark's big
            # account: 105k calls over 30 days, 1.7-10.8 s reading the heap before).
            models.Index(
                fields=["account", "from_number_norm", "end_time"],
                opclasses=["int8_ops", "varchar_pattern_ops", "timestamptz_ops"],
                include=["product"],
                name="call_account_from_idx",
            ),
            models.Index(
                fields=["account", "to_number_norm", "end_time"],
                opclasses=["int8_ops", "varchar_pattern_ops", "timestamptz_ops"],
                include=["product"],
                name="call_account_to_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call_uuid} {self.from_number} -> {self.to_number}"

    def save(self, *args, **kwargs) -> None:
        self.from_number_norm = normalise_number(self.from_number)
        self.to_number_norm = normalise_number(self.to_number)
        super().save(*args, **kwargs)
