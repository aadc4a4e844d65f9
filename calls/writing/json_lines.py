"""JSON lines, as both an import file and a live request body hold them: split on "\n"
alone, blank lines skipped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

JSON_WHITESPACE = " \t\r\n"  # RFC 8259's; str.strip() would also take U+2028, \x0c, ...


def json_lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of JSON-lines text given in pieces of any size (a file's lines, a whole
    body): split on "\n" alone, a "\r" before it dropped. Not str.splitlines, nor a file
    opened with newline="": those also split on a lone "\r" and (splitlines) on U+2028,
    U+2029, U+0085, \x0b, \x0c and \x1c-\x1e, which may sit raw in a JSON string (or,
    "\r", between its tokens), so one record would become several bad lines."""
    pending = ""
    for piece in pieces:
        *complete, pending = (pending + piece).split("\n")
        for line in complete:
            yield line.removesuffix("\r")
    if pending:
        yield pending.removesuffix("\r")


def is_blank(line: str) -> bool:
    """A line holding nothing but JSON whitespace: skipped, not a record."""
    return not line.strip(JSON_WHITESPACE)
