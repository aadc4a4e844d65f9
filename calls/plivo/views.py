"""The Plivo-compatible call API: list and retrieve (CONTRACT.md part A)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.models import Account, AccountNode, nodes_below
from calls import counts
from calls import window as win
from calls.cursor import Cursor, CursorError, fingerprint
from calls.models import Call
from calls.params import ParamError, bounded_uint, check_known
from calls.plivo import errors, schema
from calls.plivo.auth import AccountBasicAuthentication
from calls.plivo.filters import CallFilterSet
from calls.plivo.serialize import COLUMNS, call_objects
from calls.throttling import AddressThrottle, PlivoAccountThrottle
from cdrapi.openapi import EnvelopeAutoSchema

MAX_LIMIT = 20
SUBACCOUNT_ID = re.compile(r"SA[A-Z0-9]{18}", re.ASCII)
PAGING_PARAMS = ("limit", "offset", "cursor")
ACCOUNT_NOT_FOUND = "No account with that auth id is visible to these credentials."
CALL_NOT_FOUND = "No call with that call_uuid was found for this account in the last 90 days."
_UUID_AT, _END_AT = COLUMNS.index("call_uuid"), COLUMNS.index("end_time")


class IsAccount(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user is None:
            raise NotAuthenticated(
                "Authentication required: send your auth id and auth token with HTTP Basic auth."
            )
        return True


@extend_schema_view(
    list=extend_schema(
        summary="List completed calls",
        description="Newest first; the last 7 days unless end_time bounds say otherwise.",
        parameters=schema.LIST_PARAMETERS,
        responses={200: schema.PlivoCallListSerializer, **schema.ERRORS},
        tags=["Plivo-style calls"],
    ),
    retrieve=extend_schema(
        summary="Retrieve a call",
        parameters=schema.DETAIL_PARAMETERS,
        responses={200: schema.PlivoCallDetailSerializer, **schema.ERRORS},
        examples=[schema.CALL_EXAMPLE],
        tags=["Plivo-style calls"],
    ),
)
class CallViewSet(viewsets.ViewSet):
    schema = EnvelopeAutoSchema()
    authentication_classes = [AccountBasicAuthentication]
    permission_classes = [IsAccount]
    throttle_classes = [AddressThrottle, PlivoAccountThrottle]

    def get_exception_handler(self):
        return errors.exception_handler

    def initial(self, request, *args, **kwargs) -> None:
        # The request id the middleware gave this request, so logs and bodies agree.
        request.api_id = getattr(request._request, "api_id", None) or str(uuid.uuid4())
        super().initial(request, *args, **kwargs)

    # --- helpers -------------------------------------------------------------------------
    def _scope(self, request, auth_id: str) -> tuple[list[AccountNode], AccountNode]:
        """The accounts the path names and may be read (path account first).

        The path account must be the caller or below it; anything else is the same 404
        whether or not the account exists.
        """
        caller: Account = request.user
        tree = Account.objects.subtree(caller.pk)
        path = next((node for node in tree if node.auth_id == auth_id), None)
        if path is None:
            raise errors.NotFound(ACCOUNT_NOT_FOUND)
        return nodes_below(tree, path.id), path

    def _base_uri(self, request, auth_id: str) -> str:
        zentrunk = "/Zentrunk/" in request.path
        return f"/v1/Account/{auth_id}/{'Zentrunk/' if zentrunk else ''}Call/"

    @staticmethod
    def _check_params(request, allowed) -> None:
        try:
            check_known(request.query_params, allowed)
        except ParamError as exc:
            raise errors.BadRequest(str(exc)) from None

    # --- endpoints -----------------------------------------------------------------------
    def list(self, request, auth_id: str) -> Response:
        filterset = CallFilterSet(request.query_params, queryset=Call.objects.all())
        self._check_params(request, {*filterset.filters, *PAGING_PARAMS, "subaccount"})
        params = request.query_params
        try:
            limit = bounded_uint(params, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT)
            offset = bounded_uint(params, "offset", default=0, low=0, high=2**31 - 1)
        except ParamError as exc:
            raise errors.BadRequest(str(exc)) from None
        if not filterset.is_valid():
            name, messages = next(iter(filterset.errors.items()))
            raise errors.BadRequest(f"Invalid {name}: {' '.join(messages)}.")

        scope, path = self._scope(request, auth_id)
        scope = self._narrow_to_subaccount(request, scope, path)
        filters = [(k, v) for k, v in params.items() if k not in PAGING_PARAMS]
        fp = fingerprint(request.user.auth_id, auth_id, urlencode(sorted(filters)))

        cursor = None
        now = timezone.now()
        if params.get("cursor"):
            try:
                cursor = Cursor.decode(params["cursor"], fingerprint=fp)
            except CursorError as exc:
                raise errors.BadRequest(str(exc)) from None
            if "offset" in params and offset != cursor.offset:
                raise errors.BadRequest(
                    "offset does not match the cursor; page with either one, not both."
                )
            now, offset = cursor.now, cursor.offset
        try:
            window = filterset.window(now)
        except win.WindowError as exc:
            raise errors.BadRequest(str(exc)) from None

        queryset = (
            filterset.qs.filter(window.q())
            .visible_to([node.id for node in scope])
            .values_list(*COLUMNS)
        )
        total = self._total(filterset, queryset, scope, window)
        if cursor:
            rows = cursor.page(queryset, limit)
        else:
            rows = list(queryset.newest_first()[offset : offset + limit])

        def link(anchor: tuple, forward: bool, page_offset: int) -> str:
            token = Cursor(
                end_time=anchor[_END_AT],
                call_uuid=anchor[_UUID_AT],
                forward=forward,
                offset=page_offset,
                now=now,
                fingerprint=fp,
            ).encode()
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
                    rows, zone_name=path.timezone, base_uri=self._base_uri(request, auth_id)
                ),
            }
        )

    def retrieve(self, request, auth_id: str, call_uuid: str) -> Response:
        self._check_params(request, {"call_uuid"})
        try:
            wanted = uuid.UUID(call_uuid)
        except ValueError:
            raise errors.NotFound(CALL_NOT_FOUND) from None
        repeated = request.query_params.get("call_uuid")
        if repeated is not None and repeated.lower() not in {call_uuid.lower(), str(wanted)}:
            raise errors.BadRequest("The call_uuid parameter differs from the one in the path.")
        scope, path = self._scope(request, auth_id)
        cutoff = timezone.now() - win.RETENTION
        row = (
            Call.objects.by_uuid(wanted)
            .retained(cutoff)
            .visible_to([node.id for node in scope])
            .values_list(*COLUMNS)
            .first()
        )
        if row is None:
            raise errors.NotFound(CALL_NOT_FOUND)
        (obj,) = call_objects(
            [row], zone_name=path.timezone, base_uri=self._base_uri(request, auth_id)
        )
        return Response({"api_id": request.api_id, **obj})

    @staticmethod
    def _total(filterset, queryset, scope, window) -> int:
        """Exact total_count: from the hourly counts when the request filters only by
        window and direction (the common case, and the costly one for big accounts),
        else a plain COUNT."""
        data = filterset.form.cleaned_data
        other = [
            k
            for k, v in data.items()
            if v is not None and not k.startswith("end_time") and k != "call_direction"
        ]
        if counts.enabled() and not other:
            ids = [node.id for node in scope]
            return counts.window_total(ids, window, data.get("call_direction"))
        return queryset.count()

    @staticmethod
    def _narrow_to_subaccount(request, scope: list[AccountNode], path: AccountNode):
        sub = request.query_params.get("subaccount")
        if sub is None:
            return scope
        if not SUBACCOUNT_ID.fullmatch(sub):
            raise errors.BadRequest(
                f"Invalid subaccount: expected SA followed by 18 letters or digits, got "
                f"{sub[:40]!r}."
            )
        if request.user.parent_id is not None:
            raise errors.BadRequest("Only a main account can filter by subaccount.")
        node = next((n for n in scope if n.auth_id == sub), None)
        if node is None:
            raise errors.NotFound("No subaccount with that auth id belongs to this account.")
        return nodes_below(scope, node.id)
