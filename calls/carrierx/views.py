"""The CarrierX-compatible CDR API: GET /core/v2/calls/call_drs[/{dr_sid}] (docs/carrierx.md).

Each endpoint parses its parameters into the core's inputs (calls/query/core.py) and
renders the rows; scope, retention, paging and counting are the core's.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from calls.access.throttling import AddressThrottle, CarrierXTokenThrottle
from calls.carrierx import conditions, schema
from calls.carrierx.auth import DESCENDANTS, BearerAuthentication, CanReadCalls
from calls.carrierx.cdr import COLUMNS, FIELDS, NAMES, cdr_objects
from calls.carrierx.filter_language import parse
from calls.query import rules
from calls.query import scope as scopes
from calls.query.core import CallQuery, Page, retrieve
from calls.query.errors import NotFound, QueryError
from calls.query.params import bounded_uint, check_known
from calls.query.render import FastJSONRenderer, JSONOnlyNegotiation
from calls.query.values import parse_uuid
from cdrapi import faces
from cdrapi.openapi import EnvelopeAutoSchema

# The query parameters are the schema's (calls/carrierx/schema.py), which documents each.
LIST_PARAMS = {p.name for p in schema.LIST_PARAMETERS}
DETAIL_PARAMS = {p.name for p in schema.DETAIL_PARAMETERS if p.location == p.QUERY}
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000
ORDER = re.compile(r"([a-z_]+)(?:[ +](asc|desc|ASC|DESC))?", re.ASCII)
FIELD_LIST = re.compile(r"[a-z_]+(,[a-z_]+)*", re.ASCII)
CDR_NOT_FOUND = "No CDR with that dr_sid is visible to this token."
_UUID = COLUMNS.index("call_uuid")


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
    """Call detail records the token may read: list (filter language, field selection,
    keyset or offset paging) and retrieve by dr_sid (docs/carrierx.md)."""

    renderer_classes = [FastJSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation
    schema = EnvelopeAutoSchema()
    authentication_classes = [BearerAuthentication]
    permission_classes = [CanReadCalls]
    throttle_classes = [AddressThrottle, CarrierXTokenThrottle]

    def get_exception_handler(self):
        return faces.exception_handler

    def list(self, request) -> Response:
        params = request.query_params
        check_known(params, LIST_PARAMS)
        limit = bounded_uint(params, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
        offset = bounded_uint(params, "offset", default=0, low=0, high=2**31 - 1)
        after, before = params.get("after"), params.get("before")
        if after is not None and before is not None:
            raise QueryError(rules.AFTER_AND_BEFORE.format(), "after")
        keyset = after if after is not None else before
        if keyset is not None and offset:
            raise QueryError(rules.OFFSET_WITH_KEYSET.format(), "offset")
        field, descending = _order(params.get("order"), keyset_mode=keyset is not None)
        names = _fields(params)
        total_wanted = _bool(params, "total")
        parsed = conditions.Parsed([])
        if params.get("filter") is not None:
            parsed = conditions.parse_conditions(parse(params["filter"]))
            conditions.check_range(parsed)

        scope = _scope(request)
        query = CallQuery(scope, columns=COLUMNS, conditions=tuple(parsed.conditions))
        if keyset is not None:
            page = _keyset_page(query, keyset, after is not None, descending, limit)
        else:
            sign = "-" if descending else ""
            order = (f"{sign}{FIELDS[field][0]}", f"{sign}call_uuid")
            page = query.offset_page(offset=offset, limit=limit, order=order)

        rows = page.rows
        return Response(
            {
                "count": len(rows),
                "has_more": page.has_more,
                "items": cdr_objects(rows, _partner_sids(scope), names),
                "limit": limit,
                "offset": offset,
                "pagination": _pagination(request, page, offset, limit, after, before),
                "total": query.total() if total_wanted else None,
            }
        )

    def retrieve(self, request, dr_sid: str) -> Response:
        check_known(request.query_params, DETAIL_PARAMS)
        names = _fields(request.query_params)
        try:
            sid = parse_uuid(dr_sid)
        except ValueError:
            raise QueryError("dr_sid must be a UUID.", "dr_sid") from None
        scope = _scope(request)
        row = retrieve(scope, sid, columns=COLUMNS)
        if row is None:
            raise NotFound(CDR_NOT_FOUND, "dr_sid")
        return Response(cdr_objects([row], _partner_sids(scope), names)[0])


def _scope(request) -> scopes.Scope:
    return scopes.for_token(request.user, descendants=DESCENDANTS in request.auth.scopes)


def _partner_sids(scope: scopes.Scope) -> dict[int, str]:
    return {node.id: str(node.partner_sid) for node in scope.nodes}


def _keyset_page(query: CallQuery, raw: str, forward: bool, descending: bool, limit: int) -> Page:
    """The page after (forward) or before the anchor CDR, in list order."""
    param = "after" if forward else "before"
    try:
        sid = parse_uuid(raw)
    except ValueError:
        raise QueryError(f"{param} must be the dr_sid (a UUID) of a visible CDR.", param) from None
    anchor = query.anchor(sid)
    if anchor is None:
        raise QueryError(rules.KEYSET_NOT_VISIBLE.format(param=param), param)
    # Forward in a newest-first list walks towards older rows, and so on.
    page = query.keyset_page(anchor, towards_older=forward == descending, limit=limit)
    return page if forward else Page(page.rows[::-1], page.has_more)


def _pagination(request, page: Page, offset: int, limit: int, after, before) -> dict:
    keep = [(k, v) for k, v in request.query_params.items()
            if k not in {"limit", "offset", "after", "before"}]  # fmt: skip
    base = settings.PUBLIC_BASE_URL + request.path  # never from the Host header

    def url(extra: list[tuple[str, object]]) -> str:
        return f"{base}?{urlencode([*extra, ('limit', limit), *keep])}"

    links: dict[str, str] = {}
    rows, has_more = page.rows, page.has_more
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


def _fields(params) -> tuple[str, ...]:
    names = NAMES
    for param in ("include_fields", "exclude_fields"):
        raw = params.get(param)
        if raw is None:
            continue
        if not FIELD_LIST.fullmatch(raw):
            raise QueryError("Expected field names separated by commas.", param)
        wanted = raw.split(",")
        unknown = [f for f in wanted if f not in FIELDS]
        if unknown:
            raise QueryError(f"Unknown field(s): {', '.join(u[:40] for u in unknown[:5])}.", param)
        if param == "include_fields":
            names = tuple(n for n in names if n in wanted)
        else:
            names = tuple(n for n in names if n not in wanted)
    return names


def _order(raw: str | None, *, keyset_mode: bool) -> tuple[str, bool]:
    if raw is None:
        return "date_stop", True
    match = ORDER.fullmatch(raw)
    if not match:
        raise QueryError("Write order as <field> asc or <field> desc.", "order")
    field, direction = match.group(1), (match.group(2) or "desc").lower()
    if field not in FIELDS or FIELDS[field][1] == "json":
        raise QueryError(f"{field[:40]!r} is not a field that can be ordered on.", "order")
    if keyset_mode and field != "date_stop":
        raise QueryError(rules.ORDER_WITH_KEYSET.format(), "order")
    return field, direction == "desc"


def _bool(params, name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw not in {"true", "false"}:
        raise QueryError("Expected true or false.", name)
    return raw == "true"
