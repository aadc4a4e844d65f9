"""The Plivo-compatible call API: list and retrieve (docs/plivo.md).

Each endpoint parses its parameters into the core's inputs (calls/query/core.py) and
renders the rows; scope, retention, window, paging and the exact total are the core's.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from calls.access.throttling import AddressThrottle, PlivoAccountThrottle
from calls.plivo import insights, schema
from calls.plivo.auth import AccountBasicAuthentication
from calls.plivo.conditions import FILTERSETS, product_condition
from calls.plivo.parameters import MAX_LIMIT, PAGING
from calls.plivo.serialize import COLUMNS, call_objects
from calls.query import rules
from calls.query import scope as scopes
from calls.query.core import CallQuery, retrieve
from calls.query.cursor import Cursor, fingerprint
from calls.query.errors import NotFound, QueryError
from calls.query.params import bounded_uint, check_known
from calls.query.render import FastJSONRenderer, JSONOnlyNegotiation
from calls.query.values import parse_uuid
from calls.vocabulary.choices import VOICE, ZENTRUNK
from cdrapi import faces
from cdrapi.openapi import EnvelopeAutoSchema

CALL_NOT_FOUND = "No call with that call_uuid was found for this account in the last {days} days."


def _call_not_found() -> NotFound:
    return NotFound(CALL_NOT_FOUND.format(days=settings.CALLS_RETENTION_DAYS), "call_uuid")


_UUID_AT, _END_AT = COLUMNS.index("call_uuid"), COLUMNS.index("end_time")


INSIGHTS_SCHEMA = extend_schema(
    summary="Call insights (SIP trunking)",
    description="The parties, the hangup and the call's quality; null where not reported.",
    parameters=schema.DETAIL_PARAMETERS,
    responses={200: insights.InsightsSerializer, **schema.ERRORS},
    tags=["Plivo-style calls"],
)


class IsAccount(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user is None:
            raise NotAuthenticated(
                "Authentication required: send your auth id and auth token with HTTP Basic auth."
            )
        return True


class CallViewSet(viewsets.ViewSet):
    renderer_classes = [FastJSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation
    schema = EnvelopeAutoSchema()
    authentication_classes = [AccountBasicAuthentication]
    permission_classes = [IsAccount]
    throttle_classes = [AddressThrottle, PlivoAccountThrottle]
    product = ZENTRUNK  # set per path in calls/plivo/urls.py: /Call/ voice, /Zentrunk/Call/

    def get_exception_handler(self):
        return faces.exception_handler

    def initial(self, request, *args, **kwargs) -> None:
        # The request id the middleware gave this request, so logs and bodies agree.
        request.api_id = getattr(request._request, "api_id", None) or str(uuid.uuid4())
        super().initial(request, *args, **kwargs)

    def list(self, request, auth_id: str) -> Response:
        params = request.query_params
        filterset = FILTERSETS[self.product](params)
        check_known(params, {*filterset.filters, *PAGING, "subaccount"})
        limit = bounded_uint(params, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT)
        offset = bounded_uint(params, "offset", default=0, low=0, high=2**31 - 1)
        conditions = filterset.conditions()
        scope = scopes.for_path_account(request.user, auth_id, params.get("subaccount"))
        filters = [(k, v) for k, v in params.items() if k not in PAGING]
        fp = fingerprint(request.user.auth_id, auth_id, urlencode(sorted(filters)))

        cursor, now = None, timezone.now()
        if "cursor" in params:
            cursor = Cursor.decode(params["cursor"], fingerprint=fp)
            if "offset" in params and offset != cursor.offset:
                raise QueryError(rules.CURSOR_OFFSET.format(), "offset")
            now, offset = cursor.now, cursor.offset  # the walk keeps its first page's window
        query = CallQuery(
            scope, columns=COLUMNS, conditions=conditions, window=filterset.window(now)
        )
        if cursor:
            total, rows = query.total(), cursor.page(query, limit)
        else:
            page, total = query.offset_page_and_total(offset=offset, limit=limit)
            rows = page.rows

        def link(anchor: tuple, forward: bool, page_offset: int) -> str:
            token = Cursor(end_time=anchor[_END_AT], call_uuid=anchor[_UUID_AT],
                           forward=forward, offset=page_offset, now=now,
                           fingerprint=fp).encode()  # fmt: skip
            query = urlencode(
                [("limit", limit), ("offset", page_offset), ("cursor", token), *filters]
            )
            return f"{request.path}?{query}"

        next_link = previous_link = None
        if rows and offset + len(rows) < total:
            next_link = link(rows[-1], True, offset + limit)
        if rows and offset > 0:
            previous_link = link(rows[0], False, max(0, offset - limit))
        elif offset > 0:  # past the end: step back by offset
            query = urlencode([("limit", limit), ("offset", max(0, offset - limit)), *filters])
            previous_link = f"{request.path}?{query}"

        return Response(
            {
                "api_id": request.api_id,
                "meta": {
                    "limit": limit,
                    "next": next_link,
                    "offset": offset,
                    "previous": previous_link,
                    "total_count": total,
                },
                "objects": call_objects(
                    rows, zone_name=scope.root.timezone, base_uri=_base_uri(request, auth_id)
                ),
            }
        )

    def retrieve(self, request, auth_id: str, call_uuid: str) -> Response:
        scope, row = self._one(request, auth_id, call_uuid, COLUMNS)
        (obj,) = call_objects(
            [row], zone_name=scope.root.timezone, base_uri=_base_uri(request, auth_id)
        )
        return Response({"api_id": request.api_id, **obj})

    @INSIGHTS_SCHEMA
    def insights(self, request, auth_id: str, call_uuid: str) -> Response:
        _, row = self._one(request, auth_id, call_uuid, insights.COLUMNS)
        return Response({"api_id": request.api_id, **insights.insights_object(row)})

    def _one(self, request, auth_id: str, call_uuid: str, columns: tuple[str, ...]):
        """(scope, row) of the path's call, of this path's product; a 404 otherwise, the
        same whether the call is unknown, another account's or another product's."""
        check_known(request.query_params, {"call_uuid"})
        wanted = _uuid_or_none(call_uuid)  # one parser for the path and the repeat
        if wanted is None:
            raise _call_not_found()
        repeated = request.query_params.get("call_uuid")
        if repeated is not None and _uuid_or_none(repeated) != wanted:
            raise QueryError(rules.CALL_UUID_MISMATCH.format(), "call_uuid")
        scope = scopes.for_path_account(request.user, auth_id)
        product = (product_condition(self.product),)
        row = retrieve(scope, wanted, columns=columns, conditions=product)
        if row is None:
            raise _call_not_found()
        return scope, row


def _documented(product: str, label: str):
    """The OpenAPI description of one product's endpoints (calls/plivo/schema.py)."""
    list_serializer, detail_serializer = schema.SERIALIZERS[product]
    return extend_schema_view(
        list=extend_schema(
            summary=f"List completed {label} calls",
            description="Newest first; the last 7 days unless end_time bounds say otherwise.",
            parameters=schema.list_parameters(product),
            responses={200: list_serializer, **schema.ERRORS},
            tags=["Plivo-style calls"],
        ),
        retrieve=extend_schema(
            summary=f"Retrieve a {label} call",
            parameters=schema.DETAIL_PARAMETERS,
            responses={200: detail_serializer, **schema.ERRORS},
            examples=[schema.CALL_EXAMPLE] if product == VOICE else [],
            tags=["Plivo-style calls"],
        ),
    )


@_documented(VOICE, "Voice")
class VoiceCallViewSet(CallViewSet):
    """Voice calls of the account and the accounts below it: list (filters, paging, the
    exact total) and retrieve by call_uuid (docs/plivo.md)."""

    product = VOICE


@_documented(ZENTRUNK, "SIP-trunking")
class ZentrunkCallViewSet(CallViewSet):
    """SIP-trunking (Zentrunk) calls of the account and the accounts below it: list and
    retrieve by call_uuid (docs/plivo.md)."""

    product = ZENTRUNK


def _uuid_or_none(raw: str) -> uuid.UUID | None:
    """The UUID `raw` spells (any case, hyphens or not, as the schema says), or None."""
    try:
        return parse_uuid(raw)
    except ValueError:
        return None


def _base_uri(request, auth_id: str) -> str:
    zentrunk = "/Zentrunk/" in request.path
    return f"/v1/Account/{auth_id}/{'Zentrunk/' if zentrunk else ''}Call/"
