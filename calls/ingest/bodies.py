"""Request bodies of live ingestion: read within a limit, split into documents."""

from __future__ import annotations

import json
from typing import Any

from calls.writing.json_lines import is_blank, json_lines
from calls.writing.record_rules import RecordError

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


class TooLarge(Exception):
    """The body is over the endpoint's limit (413)."""


def read_body(request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes (TooLarge beyond). A chunked body (no
    Content-Length) is read from the server's own stream, which ends where the chunks do
    (gunicorn's `wsgi.input_terminated`): Django reads such a body as empty."""
    meta = request.META
    if not meta.get("CONTENT_LENGTH") and meta.get("wsgi.input_terminated"):
        body = _read(meta["wsgi.input"], limit + 1)
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"The request body is larger than {limit} bytes.")
    return body


def _read(stream, size: int) -> bytes:
    parts: list[bytes] = []
    while size > 0:
        part = stream.read(min(size, 65536))
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def documents(body: bytes, content_type: str) -> list[Any]:
    """One JSON object, a JSON array of them, or JSON lines (one object a line): the
    documents in order. A JSON line that does not parse is a RecordError in its place, so
    that the other lines still go in. RecordError for a body that is none of these."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError("the body is not UTF-8 text") from None
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in NDJSON_TYPES:
        try:
            value = json.loads(text)
        except RecursionError:
            raise RecordError("the body nests too deep") from None
        except ValueError as exc:  # a JSONDecodeError, or an integer of over 4,300 digits
            reason = _why(exc)
            if reason != "Extra data" or "\n" not in text.strip():
                raise RecordError(f"the body is not valid JSON ({reason})") from None
            value = None  # JSON lines sent as application/json: read them as lines
        if value is not None or text.strip() == "null":
            return value if isinstance(value, list) else [value]
    found: list[Any] = []
    for number, line in enumerate(json_lines([text]), start=1):
        if is_blank(line):
            continue
        try:
            found.append(parse_json(line, f"line {number}"))
        except RecordError as exc:
            found.append(exc)
    if not found:
        raise RecordError("the body holds no records")
    return found


def parse_json(data: bytes | str, what: str, **options: Any) -> Any:
    """json.loads, every failure a RecordError that names `what` ("the CDR", "line 3"): one
    wording for the endpoints, the broker's messages and the replayed files."""
    try:
        return json.loads(data.decode("utf-8") if isinstance(data, bytes) else data, **options)
    except UnicodeDecodeError:
        raise RecordError(f"{what} is not UTF-8 text") from None
    except RecursionError:
        raise RecordError(f"{what} nests too deep") from None
    except ValueError as exc:
        raise RecordError(f"{what} is not valid JSON ({_why(exc)})") from None


def _why(exc: ValueError) -> str:
    """What json.loads disliked: a JSONDecodeError's message, else the error itself (Python
    refuses integers of over 4,300 digits with a plain ValueError, which has no `msg`)."""
    return str(getattr(exc, "msg", exc)).split(";")[0]  # not the advice on set_int_max_str_digits
