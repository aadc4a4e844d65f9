"""The CarrierX-compatible CDR API: GET /core/v2/calls/call_drs[/{dr_sid}]."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Account
from calls.carrierx import filters, schema
from calls.carrierx.auth import DESCENDANTS, BearerAuthentication, CanReadCalls
from calls.carrierx.errors import Invalid, exception_handler
from calls.carrierx.fields import COLUMNS, FIELDS, NAMES, cdr_objects
from calls.carrierx.filter_parser import FilterSyntaxError, parse
from calls.fields import parse_uuid
from calls.models import Call
from calls.params import ParamError, bounded_uint, check_known
from calls.throttling import AddressThrottle, CarrierXTokenThrottle
from calls.window import RETENTION
from cdrapi.openapi import EnvelopeAutoSchema

LIST_PARAMS = {"limit", "offset", "after", "before", "order", "filter", "include_fields",
               "exclude_fields", "total"}  # fmt: skip
DETAIL_PARAMS = {"include_fields", "exclude_fields"}
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000
ORDER = re.compile(r"([a-z_]+)(?:[ +](asc|desc|ASC|DESC))?", re.ASCII)
FIELD_LIST = re.compile(r"[a-z_]+(,[a-z_]+)*", re.ASCII)
_END, _UUID = COLUMNS.index("end_time"), COLUMNS.index("call_uuid")


@extend_schema_view(
    list=extend_schema(
        summary="Get call detail records",
        description="Pagination (limit/offset and after/before), result filtering (filter=) "
        "and field filtering (include_fields, exclude_fields).",
        parameters=schema.LIST_PARAMETERS,
        responses={200: schema.CdrListSerializer, **schema.ERRORS},
        tags=["CarrierX-style CDRs"],
    ),
    retrieve=extend_schema(
        summary="Get one call detail record",
        parameters=schema.DETAIL_PARAMETERS,
        responses={200: schema.CdrSerializer, **schema.ERRORS},
        tags=["CarrierX-style CDRs"],
    ),
)
class CallDrViewSet(viewsets.ViewSet):
    schema = EnvelopeAutoSchema()
    authentication_classes = [BearerAuthentication]
    permission_classes = [CanReadCalls]
    throttle_classes = [AddressThrottle, CarrierXTokenThrottle]

    def get_exception_handler(self):
        return exception_handler

    # --- helpers -------------------------------------------------------------------------
    def _visible(self, request) -> dict[int, str]:
        """account id -> partner_sid of every account this token may read."""
        account: Account = request.user
        if DESCENDANTS in request.auth.scopes:
            return {n.id: n.partner_sid for n in Account.objects.subtree(account.pk)}
        return {account.pk: str(account.partner_sid)}

    @staticmethod
    def _check_params(request, allowed: set[str]) -> None:
        try:
            check_known(request.query_params, allowed)
        except ParamError as exc:
            raise Invalid(exc.param, str(exc)) from None

    @staticmethod
    def _fields(params) -> tuple[str, ...]:
        names = NAMES
        for param in ("include_fields", "exclude_fields"):
            raw = params.get(param)
            if raw is None:
                continue
            if not FIELD_LIST.fullmatch(raw):
                raise Invalid(param, "Expected field names separated by commas.")
            wanted = raw.split(",")
            unknown = [f for f in wanted if f not in FIELDS]
            if unknown:
                raise Invalid(param, f"Unknown field(s): {', '.join(u[:40] for u in unknown[:5])}.")
            if param == "include_fields":
                names = tuple(n for n in names if n in wanted)
            else:
                names = tuple(n for n in names if n not in wanted)
        return names

    # --- endpoints -----------------------------------------------------------------------
    def list(self, request) -> Response:
        params = request.query_params
        self._check_params(request, LIST_PARAMS)
        try:
            limit = bounded_uint(params, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
            offset = bounded_uint(params, "offset", default=0, low=0, high=2**31 - 1)
        except ParamError as exc:
            raise Invalid(exc.param, str(exc)) from None
        after, before = params.get("after"), params.get("before")
        if after is not None and before is not None:
            raise Invalid("after", "Give after or before, not both.")
        keyset = after if after is not None else before
        if keyset is not None and offset:
            raise Invalid("offset", "offset cannot be combined with after or before.")
        field, descending = _order(params.get("order"), keyset_mode=keyset is not None)
        names = self._fields(params)
        total_wanted = _bool(params, "total")

        now = timezone.now()
        visible = self._visible(request)
        base = Call.objects.visible_to(list(visible)).retained(now - RETENTION)
        queryset = base
        if params.get("filter") is not None:
            try:
                applied = filters.apply(base, parse(params["filter"]))
                filters.check_range(applied, now)
            except FilterSyntaxError as exc:
                raise Invalid(exc.field, str(exc)) from None
            queryset = applied.queryset
        rows_qs = queryset.values_list(*COLUMNS)

        if keyset is not None:
            anchor = _anchor(base, keyset, "after" if after is not None else "before")
            forward = after is not None
            rows, has_more = _keyset_page(rows_qs, anchor, forward, descending, limit)
        else:
            path = FIELDS[field][0]
            sign = "-" if descending else ""
            ordered = rows_qs.order_by(f"{sign}{path}", f"{sign}call_uuid")
            rows = list(ordered[offset : offset + limit + 1])
            has_more = len(rows) > limit
            rows = rows[:limit]

        pagination = self._pagination(request, rows, has_more, offset, limit, after, before)
        return Response(
            {
                "count": len(rows),
                "has_more": has_more,
                "items": cdr_objects(rows, visible, names),
                "limit": limit,
                "offset": offset,
                "pagination": pagination,
                "total": queryset.count() if total_wanted else None,
            }
        )

    def retrieve(self, request, dr_sid: str) -> Response:
        self._check_params(request, DETAIL_PARAMS)
        names = self._fields(request.query_params)
        try:
            sid = parse_uuid(dr_sid)
        except ValueError:
            raise Invalid("dr_sid", "dr_sid must be a UUID.") from None
        visible = self._visible(request)
        row = (
            Call.objects.by_uuid(sid)
            .visible_to(list(visible))
            .retained(timezone.now() - RETENTION)
            .values_list(*COLUMNS)
            .first()
        )
        if row is None:
            raise NotFound("No CDR with that dr_sid is visible to this token.")
        return Response(cdr_objects([row], visible, names)[0])

    def _pagination(self, request, rows, has_more, offset, limit, after, before) -> dict:
        keep = [(k, v) for k, v in request.query_params.items()
                if k not in {"limit", "offset", "after", "before"}]  # fmt: skip
        base = request.build_absolute_uri(request.path)

        def url(extra: list[tuple[str, object]]) -> str:
            return f"{base}?{urlencode([*extra, ('limit', limit), *keep])}"

        links: dict[str, str] = {}
        if after is None and before is None:
            if has_more:
                links["next"] = url([]) + f"&offset={offset + limit}"
            if offset > 0:
                links["previous"] = url([]) + f"&offset={max(0, offset - limit)}"
            return links
        if not rows:
            return links
        first, last = str(rows[0][_UUID]), str(rows[-1][_UUID])
        if after is not None:
            if has_more:
                links["next"] = url([("after", last)]) + "&offset=0"
            links["previous"] = url([("before", first)]) + "&offset=0"
        else:
            if has_more:
                links["previous"] = url([("before", first)]) + "&offset=0"
            links["next"] = url([("after", last)]) + "&offset=0"
        return links


def _anchor(base, raw: str, param: str):
    try:
        sid = parse_uuid(raw)
    except ValueError:
        raise Invalid(param, f"{param} must be the dr_sid (a UUID) of a visible CDR.") from None
    anchor = base.filter(call_uuid=sid).values_list("end_time", "call_uuid").first()
    if anchor is None:
        raise Invalid(param, f"No visible CDR has the dr_sid given as {param}.")
    return anchor


def _keyset_page(rows_qs, anchor, forward: bool, descending: bool, limit: int):
    """The `limit` rows after (forward) or before the anchor in list order; has_more."""
    end, sid = anchor
    older = Q(end_time__lte=end) & (Q(end_time__lt=end) | Q(call_uuid__lt=sid))
    newer = Q(end_time__gte=end) & (Q(end_time__gt=end) | Q(call_uuid__gt=sid))
    # Walking towards older rows when going forward in a newest-first list, etc.
    towards_older = forward == descending
    condition = older if towards_older else newer
    sign = "-" if towards_older else ""
    rows = list(
        rows_qs.filter(condition).order_by(f"{sign}end_time", f"{sign}call_uuid")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()  # fetched moving away from the anchor; shown in list order
    return rows, has_more


def _order(raw: str | None, *, keyset_mode: bool) -> tuple[str, bool]:
    if raw is None:
        return "date_stop", True
    match = ORDER.fullmatch(raw)
    if not match:
        raise Invalid("order", "Write order as <field> asc or <field> desc.")
    field, direction = match.group(1), (match.group(2) or "desc").lower()
    if field not in FIELDS or FIELDS[field][1] == "json":
        raise Invalid("order", f"{field[:40]!r} is not a field that can be ordered on.")
    if keyset_mode and field != "date_stop":
        raise Invalid("order", "With after or before, only date_stop can be ordered on.")
    return field, direction == "desc"


def _bool(params, name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw not in {"true", "false"}:
        raise Invalid(name, "Expected true or false.")
    return raw == "true"
