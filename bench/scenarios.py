"""What the benchmark asks: accounts, credentials, samples and the scenario list.

Every scenario has our request list and the textbook peer's equivalent (bench/textbook.py:
the same filters by the same names, offset paging where we follow cursors), so each row
of the table carries its own ratio. Samples are fixed by rank (the big account's busiest
numbers, its newest child leg), not by whatever call happens to be newest.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

Requests = list[tuple[str, dict]]


@dataclass
class Scenario:
    name: str
    ours: Requests
    peer: Requests = field(default_factory=list)
    group: str = "list"  # "list", "filter 7d", "filter 30d", "paging", "carrierx"


class Fixture:
    """Accounts, credentials and sample values the scenarios use."""

    def __init__(self) -> None:
        from accounts.models import Account
        from accounts.services import account_rotate_auth_token, token_create
        from calls.models import Call

        big = Account.objects.filter(name__regex=r"^Seeded big account [0-9]+$").order_by("-pk")[0]
        small = list(
            Account.objects.filter(name__startswith="Seeded account").order_by("-pk")[:50]
        )[-1]
        self.big, self.small = big, small
        self.product = self.product_of(big)
        self.big_path, self.small_path = (self.path_of(a) for a in (big, small))
        self.big_token = account_rotate_auth_token(account=big)
        self.small_token = account_rotate_auth_token(account=small)
        self.bearer = token_create(account=big, scopes=["calls.read", "calls.read_descendant"],
                                   name="bench").secret  # fmt: skip
        recent = list(
            Call.objects.filter(account=big, product=self.product).order_by("-end_time")
            .values_list("call_uuid", "from_number_norm", "to_number_norm", "parent_call_uuid")
            [:2000]
        )  # fmt: skip
        self.uuids = [str(r[0]) for r in recent[:200]]
        # The busiest number on each side among the newest calls: a heavy exact match.
        self.from_number = Counter(r[1] for r in recent).most_common(1)[0][0]
        self.to_number = Counter(r[2] for r in recent).most_common(1)[0][0]
        self.parent = next((str(r[3]) for r in recent if r[3]), self.uuids[0])

    @staticmethod
    def product_of(account) -> str:
        """The product of the account's newest call (each account has one)."""
        from calls.models import Call

        newest = Call.objects.filter(account=account).order_by("-end_time")
        return newest.values_list("product", flat=True).first()

    def path_of(self, account) -> str:
        zentrunk = self.product_of(account) == "zentrunk"
        return f"/v1/Account/{account.auth_id}/{'Zentrunk/' if zentrunk else ''}Call/"

    def basic(self, account, token) -> dict:
        raw = base64.b64encode(f"{account.auth_id}:{token}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}


def _causes(product: str) -> tuple[int, int, int]:
    """(most frequent, most frequent of unanswered calls, rarest) cause of the product."""
    from calls.vocabulary.hangup import causes

    drawn = sorted((c for c in causes(product) if c.weight > 0), key=lambda c: c.weight)
    missed = [c for c in drawn if not c.answered]
    return drawn[-1].code, missed[-1].code, drawn[0].code


def filters(fx: Fixture) -> list[tuple[str, dict]]:
    """Every Plivo filter alone, and the pairs the issue names (docs/plivo.md)."""
    common, missed, rare = _causes(fx.product)
    source = "carrier" if fx.product == "zentrunk" else "Carrier"
    return [
        ("call_direction", {"call_direction": "outbound"}),
        ("from_number exact", {"from_number": fx.from_number}),
        ("from_number long prefix", {"from_number": fx.from_number[:-4]}),
        ("from_number one digit", {"from_number": "1"}),
        ("to_number exact", {"to_number": fx.to_number}),
        ("to_number long prefix", {"to_number": fx.to_number[:-4]}),
        ("to_number one digit", {"to_number": "4"}),
        ("bill_duration exact", {"bill_duration": 60}),
        ("bill_duration__gt=0 (answered)", {"bill_duration__gt": 0}),
        ("bill_duration__gte", {"bill_duration__gte": 60}),
        ("bill_duration__lt", {"bill_duration__lt": 30}),
        ("bill_duration__lte", {"bill_duration__lte": 300}),
        (f"hangup_cause_code common ({common})", {"hangup_cause_code": common}),
        (f"hangup_cause_code rare ({rare})", {"hangup_cause_code": rare}),
        ("hangup_source", {"hangup_source": source}),
        ("stir_verification", {"stir_verification": "Verified"}),
        ("parent_call_uuid", {"parent_call_uuid": fx.parent}),
        ("direction + bill_duration range",
         {"call_direction": "inbound", "bill_duration__gte": 60, "bill_duration__lt": 300}),
        (f"direction + hangup cause ({missed})",
         {"call_direction": "outbound", "hangup_cause_code": missed}),
        ("from_number prefix + bill_duration", {"from_number": "1", "bill_duration__gt": 0}),
    ]  # fmt: skip


def day30(now: datetime) -> str:
    return (now - timedelta(days=29, hours=23)).strftime("%Y-%m-%d %H:%M")


def scaling(fx: Fixture, now: datetime) -> list[Scenario]:
    """The three the growth table follows: the list, the 30-day window, the worst filter."""
    big = fx.basic(fx.big, fx.big_token)
    _, _, rare = _causes(fx.product)
    out = []
    for name, params in (
        ("default list", {}),
        ("30-day window", {"end_time__gte": day30(now)}),
        ("rare hangup cause, 30 days", {"hangup_cause_code": rare, "end_time__gte": day30(now)}),
        ("one-digit from_number + answered, 30 days",
         {"from_number": "1", "bill_duration__gt": 0, "end_time__gte": day30(now)}),
    ):  # fmt: skip
        out.append(Scenario(name, [(_url(fx.big_path, params), big)]))
    return out


def _url(path: str, params: dict) -> str:
    return path + ("?" + urlencode(params) if params else "")


def all_scenarios(fx: Fixture, now: datetime) -> list[Scenario]:
    big = fx.basic(fx.big, fx.big_token)
    small = fx.basic(fx.small, fx.small_token)
    bearer = {"Authorization": f"Bearer {fx.bearer}"}
    base, peer_base = fx.big_path, "/textbook" + fx.big_path

    def plivo(name: str, params: dict, group: str) -> Scenario:
        return Scenario(name, [(_url(base, params), big)], [(_url(peer_base, params), big)],
                        group)  # fmt: skip

    out = [
        plivo("default window, big account", {}, "list"),
        Scenario("default window, small account", [(fx.small_path, small)],
                 [("/textbook" + fx.small_path, small)], "list"),
        plivo("30-day window", {"end_time__gte": day30(now)}, "list"),
    ]  # fmt: skip
    for name, params in filters(fx):
        out.append(plivo(f"{name}, 7 days", params, "filter 7d"))
    for name, params in filters(fx):
        out.append(plivo(f"{name}, 30 days", {**params, "end_time__gte": day30(now)}, "filter 30d"))
    day = (now - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    one_day = {"end_time__gte": f"{day:%Y-%m-%d %H:%M}",
               "end_time__lt": f"{day + timedelta(days=1):%Y-%m-%d %H:%M}"}  # fmt: skip
    three = {"end_time__gt": f"{day - timedelta(days=2):%Y-%m-%d %H:%M}",
             "end_time__lte": f"{day + timedelta(days=1):%Y-%m-%d %H:%M}"}  # fmt: skip
    out += [
        plivo("end_time__gte + __lt, one day", one_day, "filter 7d"),
        plivo("end_time__gt + __lte, three days", three, "filter 7d"),
        plivo("end_time exact", {"end_time": f"{day:%Y-%m-%d %H:%M}"}, "filter 7d"),
    ]
    for offset in (1000, 10000):
        out.append(plivo(f"offset {offset:,}", {"offset": offset}, "paging"))
    out.append(Scenario("retrieve by uuid", [(f"{base}{u}/", big) for u in fx.uuids],
                        [(f"{peer_base}{u}/", big) for u in fx.uuids], "paging"))  # fmt: skip
    first, last, pages = day_walk(big, base, one_day)
    peer_pages = [(_url(peer_base, {**one_day, "offset": 20 * i}), big) for i in range(1, 11)]
    peer_last = [(_url(peer_base, {**one_day, "offset": 20 * i}), big)
                 for i in range(pages - 10, pages)]  # fmt: skip
    out += [
        Scenario(f"meta.next, pages 2-11 of the {pages} of a day", first, peer_pages, "paging"),
        Scenario("meta.next, last 10 pages of that day", last, peer_last, "paging"),
    ]
    deep, shallow = (carrierx_sid_at_depth(bearer, n) for n in (10_000, 10))
    answered = {"call_direction": "inbound", "bill_duration__gte": 60}
    out += [
        Scenario("CarrierX: default list", [("/core/v2/calls/call_drs", bearer)],
                 [(peer_base, big)], "carrierx"),
        Scenario("CarrierX: filter=", [("/core/v2/calls/call_drs?" + urlencode(
            {"filter": "direction eq inbound and duration_billing ge 60"}), bearer)],
            [(_url(peer_base, answered), big)], "carrierx"),
        # An explicit total with no window: every retained call of the tree (90 days).
        Scenario("CarrierX: total=true", [("/core/v2/calls/call_drs?total=true", bearer)],
                 [(peer_base, big)], "carrierx"),
        Scenario("CarrierX: total=true, filter=", [("/core/v2/calls/call_drs?" + urlencode(
            {"filter": "direction eq inbound and duration_billing ge 60", "total": "true"}),
            bearer)], [(_url(peer_base, answered), big)], "carrierx"),
        Scenario("CarrierX: after at depth 10", [(
            f"/core/v2/calls/call_drs?after={shallow}", bearer)],
            [(_url(peer_base, {"offset": 10}), big)], "carrierx"),
        Scenario("CarrierX: after at depth 10,000", [(
            f"/core/v2/calls/call_drs?after={deep}", bearer)],
            [(_url(peer_base, {"offset": 10000}), big)], "carrierx"),
    ]  # fmt: skip
    return out


def day_walk(headers: dict, base: str, window: dict) -> tuple[Requests, Requests, int]:
    """Follow meta.next through one whole day of the big account; return the first and
    the last ten page requests (cursor links) and how many pages there were."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
    url = _url(base, window)
    links = [url]
    while True:
        body = client.get(url).json()
        url = body["meta"]["next"]
        if not url:
            break
        links.append(url)
    pick = [(link, headers) for link in links]
    return pick[1:11], pick[-10:], len(links)


def carrierx_sid_at_depth(headers: dict, depth: int) -> str:
    """The dr_sid `depth` CDRs down the token's list (newest first). On a shorter list
    (a small --rows), one halfway down it, not the last: the oldest calls sit at the 90-day
    line, which passes them while the benchmark runs, and an `after` that is no longer
    visible is a 400."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
    url, sids = "/core/v2/calls/call_drs?limit=1000&include_fields=dr_sid", []
    while True:
        body = client.get(url).json()
        sids += [item["dr_sid"] for item in body["items"]]
        if len(sids) >= depth:
            return sids[depth - 1]
        if not body["has_more"]:
            return sids[len(sids) // 2]
        url = body["pagination"]["next"].replace("http://testserver", "")
