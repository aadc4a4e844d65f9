"""The one way a posted call reaches the store: `store_documents` (docs/ingest.md).

Every source (the HTTP endpoints, the broker consumer, `import_calls --format freeswitch`)
turns its documents into records in the field names import_calls reads, then the records
go through the one write path's parse and rules (calls/writing/records.py) and its one writer
(calls.writing.writer.store_rows): one rule set, one duplicate rule, one rating seam.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from accounts.models import Account
from calls.ingest import freeswitch, kamailio
from calls.rating.pricing import Unpriceable
from calls.vocabulary.choices import PRODUCTS, VOICE, ZENTRUNK
from calls.writing.record_rules import RecordError
from calls.writing.records import parse_records
from calls.writing.writer import FOREIGN, FOREIGN_REASON, STORED, store_rows
from cdrapi import metrics

Format = Literal["freeswitch", "kamailio", "calls"]
FORMATS: tuple[str, ...] = ("freeswitch", "kamailio", "calls")
# The product of a call whose source says none (docs/ingest.md).
DEFAULT_PRODUCT = {"freeswitch": VOICE, "kamailio": ZENTRUNK, "calls": ZENTRUNK}
# Each switch format's parser: `to_record(document, product=...)` gives the call record.
PARSERS: dict[str, Callable[..., dict]] = {
    "freeswitch": freeswitch.to_record,
    "kamailio": kamailio.to_record,
}
# A format whose call_uuid depends on the account it is stored under: `own(record,
# account)` gives the record its call_uuid once the account is known.
OWNERS: dict[str, Callable[[dict, Account], None]] = {"kamailio": kamailio.own}


@dataclass(frozen=True)
class Outcome:
    """A document's fate. `conflict`: rejected because another account's call has its
    call_uuid (FOREIGN_REASON; the single switch endpoints answer it 409, not 422)."""

    status: Literal["stored", "duplicate", "rejected"]
    call_uuid: str | None
    reason: str | None = None
    conflict: bool = False


def store_documents(
    fmt: Format,
    documents: Sequence[Any],
    *,
    account: Account | None,
    product: str | None = None,
) -> list[Outcome]:
    """One Outcome per document, in order; returns only after the stored rows are committed.

    `account` is the credential's: a document naming another account that is not it or
    below it is rejected, one naming none goes to it. `account=None` is a trusted source
    (the broker consumer): each document must name its account. `product` overrides
    every document's. Database errors propagate (the views answer 503).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if product is not None and product not in PRODUCTS:
        raise ValueError(f"unknown product {product!r}")
    owners = _Owners(account, NAMED_BY[fmt])
    outcomes: list[Outcome | None] = [None] * len(documents)
    parsed: list[tuple[int, dict]] = []
    for index, document in enumerate(documents):
        guess = None
        try:
            record = _to_record(fmt, document, product)
            _check_text(record)
            guess = _uuid_of(record)
            owner = owners.of(record)
            if fmt in OWNERS:  # the call_uuid follows from the owner (Kamailio)
                OWNERS[fmt](record, owner)
                guess = _uuid_of(record)
            # A batch record's own product key is read (and checked) by parse_records.
            kind = product if fmt == "calls" else product or DEFAULT_PRODUCT[fmt]
            ((_, values),) = parse_records([(index, record)], account=owner, product=kind)
            if isinstance(values, RecordError):
                raise values
            parsed.append((index, values))
        except RecordError as exc:
            outcomes[index] = Outcome("rejected", guess, str(exc))
    try:
        fates = store_rows([values for _, values in parsed]) if parsed else []
    except Unpriceable as exc:  # nothing was written: refuse those, store the others
        for index, values in parsed:
            if values["call_uuid"] in exc.reasons:
                reason = exc.reasons[values["call_uuid"]]
                outcomes[index] = Outcome("rejected", str(values["call_uuid"]), reason)
        parsed = [(i, values) for i, values in parsed if values["call_uuid"] not in exc.reasons]
        fates = store_rows([values for _, values in parsed]) if parsed else []
    for (index, values), fate in zip(parsed, fates, strict=True):
        call_uuid = str(values["call_uuid"])
        if fate == FOREIGN:
            outcomes[index] = Outcome("rejected", call_uuid, FOREIGN_REASON, conflict=True)
        else:
            outcomes[index] = Outcome("stored" if fate == STORED else "duplicate", call_uuid)
    _count(fmt, outcomes)
    return outcomes  # type: ignore[return-value]  (every slot is filled above)


# --- the parsers ------------------------------------------------------------------------------
def _to_record(fmt: str, document: Any, product: str | None) -> dict:
    if isinstance(document, RecordError):  # the reader could not parse this one
        raise document
    if not isinstance(document, Mapping):
        raise RecordError("not a JSON object")
    if fmt == "calls":
        return dict(document)
    kind = product or DEFAULT_PRODUCT[fmt]
    try:
        record = PARSERS[fmt](document, product=kind)
    except UnicodeEncodeError:  # a value a parser encodes (_check_text catches the rest)
        raise RecordError(SURROGATE.format(field="a field")) from None
    if not isinstance(record, dict):
        raise RecordError("the document did not give a call record")
    return record


SURROGATE = "{field} holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape): not text"


def _check_text(record: Mapping[str, Any]) -> None:
    """RecordError for a string value that cannot be UTF-8: JSON lets `"\\ud800"` through
    json.loads, but neither PostgreSQL nor the answer's own encoding takes it."""
    for name, value in record.items():
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise RecordError(SURROGATE.format(field=ascii(name)[1:-1][:40])) from None


def _uuid_of(record: Mapping[str, Any]) -> str | None:
    value = record.get("call_uuid") or record.get("dr_sid")
    return str(value)[:64] if value else None


# --- the accounts -----------------------------------------------------------------------------
# Where a document of each format names its account, in the switch's own words.
NAMED_BY = {
    "freeswitch": "its accountcode variable",
    "kamailio": "its account field",
    "calls": "account or partner_sid",
}


class _Owners:
    """The account each record goes to: the one it names (auth id in `account`, or a
    CarrierX `partner_sid`), which must be the credential's account or below it, else
    the credential's account; with no credential (trusted), the named one."""

    def __init__(self, account: Account | None, named_by: str) -> None:
        self.account, self.named_by = account, named_by
        self._by_name: dict[str, tuple[int, str] | None] | None = None
        self._owners: dict[int, Account] = {}
        self._seen: dict[tuple[str, str], Account] = {}

    def of(self, record: Mapping[str, Any]) -> Account:
        named = [
            (what, record[what])
            for what in ("account", "partner_sid")
            if record.get(what) not in (None, "")
        ]
        if not named:
            if self.account is None:
                raise RecordError(
                    f"no account: the record must name one ({self.named_by}), "
                    "or pass --account AUTH_ID"
                )
            return self.account
        owners = [self._named(what, value) for what, value in named]
        if len(owners) == 2 and owners[0].pk != owners[1].pk:
            raise RecordError("account and partner_sid name two different accounts")
        return owners[0]

    def _named(self, what: str, value: Any) -> Account:
        if type(value) is str and (seen := self._seen.get((what, value))) is not None:
            return seen  # a batch names few accounts: each name is read once
        owner = self._named_afresh(what, value)
        if type(value) is str:
            self._seen[(what, value)] = owner
        return owner

    def _named_afresh(self, what: str, value: Any) -> Account:
        key = _account_key(value)
        if self.account is not None and key in (
            self.account.auth_id,
            str(self.account.partner_sid),
        ):
            return self.account  # its own: no lookup (a switch's usual accountcode)
        found = self._lookup(key)
        if found is None:
            if self.account is None:
                raise RecordError(f"no active account has {what} {key[:40]}")
            raise RecordError(
                f"{what} {key[:40]} is not this credential's account "
                f"({self.account.auth_id}) or one below it"
            )
        pk, partner_sid = found
        if self.account is not None and pk == self.account.pk:
            return self.account
        # Its id and partner_sid, all a record's owner is asked for (the Kamailio call_uuid),
        # built once per account of the batch (a model's __init__ costs ~10 µs a record).
        owner = self._owners.get(pk)
        if owner is None:
            owner = self._owners[pk] = Account(pk=pk, partner_sid=partner_sid)
        return owner

    def _lookup(self, key: str) -> tuple[int, str] | None:
        """(id, partner_sid) of the account an auth id or partner_sid names, or None."""
        if self.account is not None:
            if self._by_name is None:
                self._by_name = {}
                for node in Account.objects.subtree(self.account.pk):
                    self._by_name[node.auth_id] = (node.id, node.partner_sid)
                    self._by_name[node.partner_sid] = (node.id, node.partner_sid)
            return self._by_name.get(key)
        if self._by_name is None:
            self._by_name = {}
        if key not in self._by_name:
            query = Account.objects.filter(is_active=True)
            query = query.filter(partner_sid=key) if _is_uuid(key) else query.filter(auth_id=key)
            found = query.values_list("pk", "partner_sid").first()
            self._by_name[key] = (found[0], str(found[1])) if found else None
        return self._by_name[key]


def _account_key(value: Any) -> str:
    if not isinstance(value, str):
        raise RecordError("account and partner_sid are strings")
    value = value.strip()
    return str(uuid.UUID(value)) if _is_uuid(value) else value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def count_rejected(fmt: str, n: int = 1) -> None:
    """Count documents refused before they reached store_documents (an unreadable body)."""
    metrics.IMPORT_ROWS.labels(f"ingest_{fmt}", "rejected").inc(n)


def _count(fmt: str, outcomes: Sequence[Outcome | None]) -> None:
    for status in ("stored", "duplicate", "rejected"):
        n = sum(1 for o in outcomes if o is not None and o.status == status)
        if n:
            metrics.IMPORT_ROWS.labels(f"ingest_{fmt}", status).inc(n)
