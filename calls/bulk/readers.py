"""Streaming readers for import files: one record at a time, with its line number."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from calls.ingest.freeswitch import decode
from calls.writing.json_lines import is_blank, json_lines
from calls.writing.record_rules import RecordError


def read_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, dict | RecordError]]:
    """Decoded by orjson (compiled, ~6x the standard library's speed); a line orjson
    refuses goes through the standard library, so what is accepted (integers past 64
    bits, NaN) and the reason given for a bad line stay as they were. `lines` may come
    split on a lone "\r" too (a file opened with newline="", as csv needs): line N is
    the Nth "\n"-ended line all the same (json_lines)."""
    for number, line in enumerate(json_lines(lines), start=1):
        if is_blank(line):
            continue
        try:
            yield number, orjson.loads(line)
            continue
        except orjson.JSONDecodeError:
            pass  # the stdlib names the fault (and reads integers past 64 bits)
        if not _utf8(line):
            yield number, RecordError("not UTF-8 text")
            continue
        try:
            document = json.loads(line)
        except RecursionError:
            document = RecordError("nests too deep")
        except ValueError as exc:  # a JSONDecodeError, or an integer of over 4,300 digits
            document = RecordError(
                f"not valid JSON ({str(getattr(exc, 'msg', exc)).split(';')[0]})"
            )
        yield number, document


def _utf8(line: str) -> bool:
    """False for a line read with errors="surrogateescape" from bytes that are not UTF-8:
    that line alone is refused, the file's other lines still go in."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_csv(lines: Iterable[str]) -> Iterator[tuple[int, dict | RecordError]]:
    """Rows as dicts; empty cells are missing values; the line is where the row starts."""
    reader = csv.DictReader(lines)
    _ = reader.fieldnames  # reads the header, so that the first row is counted after it
    line = reader.line_num + 1
    for row in reader:
        if None in row:
            yield line, RecordError("more cells than the header has columns")
        else:
            yield line, {key: value for key, value in row.items() if value != ""}
        line = reader.line_num + 1


def sniff_format(name: str, first_char: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if first_char == "{" else "csv"


def cdr_file_paths(path: Path) -> list[Path]:
    """mod_json_cdr's files under `path` (`*.cdr.json`, sub-directories included, in name
    order), or `path` itself when it is a file."""
    return sorted(path.rglob("*.cdr.json")) if path.is_dir() else [path]


def read_freeswitch_dir(path: Path) -> Iterator[tuple[str, dict | RecordError]]:
    """The CDRs FreeSWITCH's mod_json_cdr wrote to its err-log-dir while posts failed:
    `<uuid>.cdr.json` (or `a_<uuid>.cdr.json`), each named by its file. A directory is
    read in name order, sub-directories (`rotate`) included; a file is read alone."""
    for file in cdr_file_paths(path):
        try:
            yield file.name, decode(file.read_bytes())
        except RecordError as exc:
            yield file.name, exc
        except OSError as exc:
            yield file.name, RecordError(f"cannot read the file ({exc.strerror})")
