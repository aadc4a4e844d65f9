"""The live ingestion endpoints (docs/ingest.md): POST a switch's CDR or a batch
of records; the answer comes after the commit.

Statuses: a single switch document is 201 stored, 200 duplicate (both tell the switch it
is delivered), 400 when the body cannot be read, 422 when the call is refused (so the
switch keeps it: FreeSWITCH writes it to err-log-dir), 409 when another account's call
has its call_uuid (kept too), 503 with Retry-After when the store is down. The batch
endpoint answers per record: 200 when none was refused, 422 when some were (the others
are stored: re-posting the batch stores nothing twice).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from django.conf import settings
from django.db import connection, transaction
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.ingest import bodies, freeswitch, schema
from calls.ingest.auth import CanWriteCalls, WriteAuthentication
from calls.ingest.service import Format, Outcome, count_rejected, store_documents
from calls.query.errors import QueryError
from calls.query.params import check_known
from calls.vocabulary.choices import PRODUCTS
from calls.writing.record_rules import RecordError
from cdrapi import faces


class IngestError(APIException):
    """A refusal with its status, rendered in the service's error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status


class IngestView(APIView):
    """What the endpoints share: write credentials, no parsers (bodies are read raw,
    within the endpoint's limit), errors in the service's shape, no throttling (a switch
    posting at its call rate must not be refused)."""

    authentication_classes = [WriteAuthentication]
    permission_classes = [CanWriteCalls]
    throttle_classes: list = []
    parser_classes: list = []
    fmt: Format = "calls"
    params: tuple[str, ...] = ("product",)
    max_bytes_setting = "DATA_UPLOAD_MAX_MEMORY_SIZE"

    def get_exception_handler(self) -> Callable:
        return faces.exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        request.api_id = getattr(request._request, "api_id", None) or str(uuid.uuid4())
        super().initial(request, *args, **kwargs)

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> NoReturn:
        raise IngestError(405, f"The {request.method} method is not allowed here; use POST.")

    def product(self, request: Request) -> str | None:
        """The ?product= override, after the query parameters are checked by the read
        faces' rule: an unknown one, or one given twice (`?product=voice&product=zentrunk`:
        which would win?), is a 400 in the ingest error shape, before the body is read."""
        try:
            check_known(request.query_params, set(self.params))
        except QueryError as exc:
            raise IngestError(400, exc.message) from None
        product = request.query_params.get("product")
        if product is not None and product not in PRODUCTS:
            raise IngestError(400, f"product must be one of {', '.join(PRODUCTS)}.")
        return product

    def body(self, request: Request) -> bytes:
        try:
            return bodies.read_body(request._request, getattr(settings, self.max_bytes_setting))
        except bodies.TooLarge as exc:
            raise IngestError(413, str(exc)) from None

    def refuse(self, status: int, reason: str) -> NoReturn:
        count_rejected(self.fmt)
        raise IngestError(status, reason)

    def documents(self, request: Request, what: str) -> list:
        """The body's JSON documents (an object, an array or JSON lines); unreadable: 400."""
        try:
            return bodies.documents(self.body(request), request.content_type or "")
        except RecordError as exc:
            self.refuse(400, f"{what} cannot be read: {exc}")

    def single(self, request: Request, document: Any, product: str | None) -> Response:
        """Store one switch document: the whole answer is its outcome."""
        (outcome,) = store_documents(self.fmt, [document], account=request.user, product=product)
        if outcome.status == "rejected":
            # 409: the CDR is sound but its call_uuid is taken (docs/ingest.md, "Decisions")
            raise IngestError(
                409 if outcome.conflict else 422, f"The call was refused: {outcome.reason}"
            )
        status = 201 if outcome.status == "stored" else 200
        body = {"api_id": request.api_id, "status": outcome.status, "call_uuid": outcome.call_uuid}
        return Response(body, status=status)


class FreeSwitchView(IngestView):
    """POST /ingest/v1/freeswitch: one mod_json_cdr CDR, in any of its three encodings."""

    fmt = "freeswitch"
    params = ("product", "uuid")

    @extend_schema(**schema.FREESWITCH)
    def post(self, request: Request) -> Response:
        product = self.product(request)
        body = self.body(request)
        try:
            document = freeswitch.decode(body, request.content_type or "")
        except RecordError as exc:
            return self.refuse(400, f"The CDR cannot be read: {exc}")
        posted_uuid = request.query_params.get("uuid")
        variables = document.get("variables")
        if posted_uuid and isinstance(variables, dict):
            if not variables.get("uuid"):
                variables["uuid"] = posted_uuid
            elif str(variables["uuid"]).strip().lower() != posted_uuid.strip().lower():
                return self.refuse(422, "The ?uuid= of the URL is not the CDR's variables.uuid.")
        return self.single(request, document, product)


class KamailioView(IngestView):
    """POST /ingest/v1/kamailio: acc_json CDRs as Kamailio's http_client posts them (one
    JSON object); an array or JSON lines are answered record by record, like a batch."""

    fmt = "kamailio"

    @extend_schema(**schema.KAMAILIO)
    def post(self, request: Request) -> Response:
        product = self.product(request)
        documents = self.documents(request, "The CDR")
        if len(documents) == 1:
            if isinstance(documents[0], RecordError):
                return self.refuse(400, f"The CDR cannot be read: {documents[0]}")
            return self.single(request, documents[0], product)
        return many(request, self.fmt, documents, product)


class BatchView(IngestView):
    """POST /ingest/v1/calls: records in Plivo or CarrierX field names, as import_calls
    reads them; one JSON object, an array, or JSON lines."""

    fmt = "calls"
    max_bytes_setting = "INGEST_BATCH_MAX_BYTES"

    @extend_schema(**schema.CALLS)
    def post(self, request: Request) -> Response:
        product = self.product(request)
        return many(request, self.fmt, self.documents(request, "The body"), product)


def many(request: Request, fmt: Format, documents: list, product: str | None) -> Response:
    """Store a batch; the answer lists every record's outcome."""
    limit = settings.INGEST_BATCH_MAX_RECORDS
    if len(documents) > limit:
        raise IngestError(413, f"The batch holds {len(documents)} records; at most {limit}.")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:  # for this transaction only
                timeout = f"{settings.INGEST_BATCH_STATEMENT_TIMEOUT_MS}ms"
                cur.execute("SELECT set_config('statement_timeout', %s, true)", [timeout])
        outcomes = store_documents(fmt, documents, account=request.user, product=product)
    return Response(batch_body(request.api_id, outcomes), status=batch_status(outcomes))


def batch_body(api_id: str, outcomes: list[Outcome]) -> dict:
    """The batch answer: counts by status, then every record's outcome in order."""
    counts = {status: 0 for status in ("stored", "duplicate", "rejected")}
    records = []
    for index, outcome in enumerate(outcomes):
        counts[outcome.status] += 1
        entry = {"index": index, "status": outcome.status, "call_uuid": outcome.call_uuid}
        if outcome.reason:
            entry["reason"] = outcome.reason
        records.append(entry)
    return {"api_id": api_id, **counts, "records": records}


def batch_status(outcomes: list[Outcome]) -> int:
    """200 when no record was refused, 422 when any was (the others are stored)."""
    return 422 if any(o.status == "rejected" for o in outcomes) else 200
