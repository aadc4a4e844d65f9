"""factory_boy factories with realistic values.

Secrets are stored hashed, so factories keep the plain secret on the instance
(`raw_auth_token`, `raw_secret`) for tests that authenticate with it.
"""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
from factory import fuzzy

from accounts import secrets as creds
from accounts.models import Account, BearerToken
from calls.models import Call


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    auth_id = factory.LazyFunction(lambda: creds.new_auth_id("MA"))
    timezone = "UTC"
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        account = model_class(*args, **kwargs)
        account.raw_auth_token = account.set_auth_token()
        account.save()
        return account


class SubaccountFactory(AccountFactory):
    auth_id = factory.LazyFunction(lambda: creds.new_auth_id("SA"))
    parent = factory.SubFactory(AccountFactory)


class BearerTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BearerToken

    account = factory.SubFactory(AccountFactory)
    scopes = factory.LazyFunction(lambda: ["calls.read"])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        secret = creds.new_bearer_token()
        token = model_class(*args, digest=creds.digest(secret), **kwargs)
        token.save()
        token.raw_secret = secret
        return token


def _recent(hours_ago: float = 24.0) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours_ago)


class CallFactory(factory.django.DjangoModelFactory):
    """An answered outbound US call that ended about a day ago, unless told otherwise."""

    class Meta:
        model = Call

    call_uuid = factory.LazyFunction(uuid.uuid4)
    account = factory.SubFactory(AccountFactory)
    from_number = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    to_number = factory.Sequence(lambda n: f"1212555{(n * 7) % 10000:04d}")
    call_direction = "outbound"
    end_time = factory.LazyFunction(lambda: _recent(24).replace(microsecond=0))
    bill_duration = fuzzy.FuzzyInteger(1, 900)
    answer_time = factory.LazyAttribute(lambda o: o.end_time - timedelta(seconds=o.bill_duration))
    initiation_time = factory.LazyAttribute(
        lambda o: (o.answer_time or o.end_time) - timedelta(seconds=7)
    )
    call_duration = factory.LazyAttribute(
        lambda o: int((o.end_time - o.initiation_time).total_seconds())
    )
    duration = factory.LazyAttribute(
        lambda o: Decimal(str((o.end_time - o.initiation_time).total_seconds()))
    )
    billed_duration = factory.LazyAttribute(lambda o: -(-o.bill_duration // 60) * 60)
    total_rate = Decimal("0.00850")
    total_amount = factory.LazyAttribute(
        lambda o: (Decimal(o.billed_duration) / 60 * o.total_rate).quantize(Decimal("0.00001"))
    )
    product = "zentrunk"
    # Each product's normal hangup: Zentrunk 3010 normal_hangup by the customer, Voice
    # 4000 Normal Hangup by the callee.
    hangup_cause_code = factory.LazyAttribute(lambda c: 4000 if c.product == "voice" else 3010)
    hangup_source = factory.LazyAttribute(
        lambda c: "Callee" if c.product == "voice" else "customer"
    )
    stir_verification = "Verified"
    stir_attest = "A"
    sipcause = "200"
    codec_src = "pcmu"
    codec_dst = "pcmu"
    ip_src = "198.51.100.7"
    ip_dst = "203.0.113.9:5060"
