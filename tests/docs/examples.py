"""The shell examples of README.md and docs/*.md, as a reader copies them: every ```sh and
```console block, with the placeholders a reader replaces by their own values, and the
files the examples read made beside them."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calls.ingest import fs_sample

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "console"}
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def follows(self) -> Block | None:
        """The fenced block right after this one in its document (a file an example reads)."""
        later = [b for b in blocks_of(self.path, all_langs=True) if b.line > self.line]
        return later[0] if later else None


def blocks_of(path: Path, *, all_langs: bool = False) -> list[Block]:
    text = path.read_text()
    found = []
    for match in _FENCE.finditer(text):
        if all_langs or match[1] in SHELL:
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(path, line, match[1], match[2]))
    return found


def shell_blocks() -> list[Block]:
    return [block for path in DOCUMENTS for block in blocks_of(path)]


@dataclass(frozen=True)
class Demo:
    """What `make run` prints (demo_setup --json) and where it serves."""

    port: int
    main: str
    main_token: str
    sub: str
    read_token: str
    write_token: str


def placeholders(demo: Demo) -> dict[str, str]:
    """Each placeholder the docs print, and the demo's value a reader puts there."""
    return {
        "MAXXXXXXXXXXXXXXXXXX": demo.main,
        "SAXXXXXXXXXXXXXXXXXX": demo.sub,
        "your-auth-token": demo.main_token,
        "your-bearer-token": demo.read_token,
        "WRITE-TOKEN": demo.write_token,
        "http://127.0.0.1:8000": f"http://127.0.0.1:{demo.port}",
        "amqp://cdr:secret@mq.example.com:5672/%2F": "amqp://guest:guest@127.0.0.1:5672/%2F",
        "/var/log/freeswitch/": "./freeswitch/",
        # createsuperuser asks at a terminal (and getpass flushes typed-ahead answers):
        # here the answers come from Django's DJANGO_SUPERUSER_* variables (the demo env).
        "manage.py createsuperuser": "manage.py createsuperuser --no-input",
        # A consumer runs until stopped: here, until its queue is empty.
        "--format freeswitch          #": "--format freeswitch --stop-when-idle 1  #",
        "--queue cdrs.freeswitch --format freeswitch\n": (
            "--queue cdrs.freeswitch --format freeswitch --stop-when-idle 1\n"
        ),
    }


def substitute(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _plivo_records(now: datetime, count: int, tag: str) -> list[dict]:
    """Answered outbound calls in Plivo's names, ended in the last hour."""
    records = []
    for i in range(count):
        end = now - timedelta(minutes=5 + i)
        records.append({
            "call_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"docs-example/{tag}/{i}")),
            "call_direction": "outbound", "from_number": f"+1415555{i:04d}",
            "to_number": "+442071234567",
            "initiation_time": (end - timedelta(seconds=70)).isoformat(),
            "answer_time": (end - timedelta(seconds=60)).isoformat(), "end_time": end.isoformat(),
            "call_duration": 70, "bill_duration": 60,
        })  # fmt: skip
    return records


def _carrierx_csv(now: datetime, partner_sid: str) -> bytes:
    rows = []
    for i in range(3):
        stop = now - timedelta(minutes=20 + i)
        rows.append({
            "dr_sid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"docs-example/csv/{i}")),
            "partner_sid": partner_sid, "direction": "inbound",
            "date_start": (stop - timedelta(seconds=45)).isoformat(),
            "date_stop": stop.isoformat(), "number_src": "+15012678830",
            "number_dst": "15162065451", "duration": "45", "duration_billing": "0",
        })  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return gzip.compress(out.getvalue().encode())


def make_files(work: Path, demo: Demo, partner_sid: str, values: dict[str, str]) -> None:
    """The files the examples read, named as they name them: export.jsonl, calls.jsonl,
    cdrs.csv.gz, rates.csv (the README's own rate table) and mod_json_cdr's directories
    (CDRs whose accountcode names the demo account, as the docs set the switch up)."""
    now = datetime.now(UTC).replace(microsecond=0)
    for name, tag in (("export.jsonl", "export"), ("calls.jsonl", "calls")):
        lines = (json.dumps(r) for r in _plivo_records(now, 5, tag))
        (work / name).write_text("\n".join(lines) + "\n")
    (work / "cdrs.csv.gz").write_bytes(_carrierx_csv(now, partner_sid))
    rates = next(b for b in shell_blocks() if "import_rates rates.csv" in b.text).follows()
    assert rates is not None and rates.lang == "csv", "the README's rate table follows its command"
    (work / "rates.csv").write_text(substitute(rates.text, values))
    for directory in ("json_cdr_failed", "json_cdr"):
        path = work / "freeswitch" / directory
        path.mkdir(parents=True)
        for _ in range(2):
            call_uuid = str(uuid.uuid4())
            text = fs_sample.cdr(call_uuid=call_uuid, accountcode=demo.main)
            (path / f"{call_uuid}.cdr.json").write_text(text)
