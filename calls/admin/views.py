"""The admin's CSV export and its calls-per-day chart."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from calls.admin.filters import window_from_params
from calls.models import Call
from calls.query.window import MAX_SPAN
from calls.vocabulary.choices import PRODUCTS
from calls.vocabulary.hangup import name_for

EXPORT_COLUMNS = (
    "call_uuid", "account__auth_id", "product", "parent_call_uuid", "call_direction", "from_number",
    "to_number", "initiation_time", "answer_time", "end_time", "call_duration",
    "bill_duration", "billed_duration", "total_rate", "total_amount", "hangup_cause_code",
    "hangup_source", "stir_verification",
)  # fmt: skip
_PRODUCT, _CODE = EXPORT_COLUMNS.index("product"), EXPORT_COLUMNS.index("hangup_cause_code")
CHART_DAYS = 30


class ExportTooWide(ValueError):
    pass


_NUMBERLIKE = re.compile(r"[+-]?[0-9.]*")


def safe_cell(value):
    """Defuse spreadsheet formulas (CSV injection): a recorded "number" such as
    =HYPERLINK(...) must not run when an operator opens the export. Plain numbers,
    +14155550100 included, are left as they are."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _NUMBERLIKE.fullmatch(value)):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(request, queryset) -> StreamingHttpResponse:
    since, until = window_from_params(request.GET)
    if until - since > MAX_SPAN:
        raise ExportTooWide(
            "An export covers at most 30 days: pick a shorter end-time window first."
        )
    rows = queryset.newest_first().values_list(*EXPORT_COLUMNS)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(
            [*(c.replace("account__", "") for c in EXPORT_COLUMNS), "hangup_cause_name"]
        )
        for row in rows.iterator(chunk_size=2000):  # server-side cursor: constant memory
            yield writer.writerow([*map(safe_cell, row), name_for(row[_PRODUCT], row[_CODE])])

    stamp = f"{since:%Y%m%d}-{until:%Y%m%d}"
    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="calls-{stamp}.csv"'
    return response


def daily_counts(now: datetime | None = None, product: str | None = None) -> list[dict]:
    """Calls per UTC day over the last 30 days, by direction and by product, with the
    answered share; one product's calls only if `product` is given.

    One aggregate query, cached for ten minutes: on 10M rows it reads a month of data.
    """
    now = now or timezone.now()
    key = f"calls-chart-{product or 'all'}-{now:%Y%m%d%H}-{now.minute // 10}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    start = (now - timedelta(days=CHART_DAYS - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    calls = Call.objects.filter(end_time__gte=start, end_time__lte=now)
    if product:
        calls = calls.filter(product=product)
    rows = (
        calls.annotate(day=TruncDate("end_time", tzinfo=UTC))
        .values("day", "call_direction", "product")
        .annotate(total=Count("pk"), answered=Count("pk", filter=Q(answer_time__isnull=False)))
    )
    days = {(start + timedelta(days=i)).date(): dict.fromkeys(
                ("inbound", "outbound", "answered", *PRODUCTS), 0)
            for i in range(CHART_DAYS)}  # fmt: skip
    for row in rows:
        bucket = days.get(row["day"])
        if bucket is not None:
            bucket[row["call_direction"]] += row["total"]
            bucket[row["product"]] += row["total"]
            bucket["answered"] += row["answered"]
    result = []
    for day, counts in days.items():
        total = counts["inbound"] + counts["outbound"]
        result.append(
            {
                "day": day,
                **counts,
                "total": total,
                "answered_share": counts["answered"] / total if total else None,
            }
        )
    cache.set(key, result, 600)
    return result


def chart(request: HttpRequest, site_context: dict) -> TemplateResponse:
    """The chart page (all calls, or one product's with ?product=); the call admin wraps
    it with its permission check."""
    product = request.GET.get("product")
    product = product if product in PRODUCTS else None
    days = daily_counts(product=product)
    width, height, pad = 900, 260, 30
    peak = max((d["total"] for d in days), default=0) or 1
    step = (width - 2 * pad) / len(days)
    bars, line = [], []
    for i, d in enumerate(days):
        x = pad + i * step
        out_h = (height - 2 * pad) * d["outbound"] / peak
        in_h = (height - 2 * pad) * d["inbound"] / peak
        base = height - pad
        bars.append({"x": round(x + 2, 1), "w": round(step - 4, 1),
                     "out_y": round(base - out_h, 1), "out_h": round(out_h, 1),
                     "in_y": round(base - out_h - in_h, 1), "in_h": round(in_h, 1),
                     "label": d["day"].strftime("%d"), "tip": _tip(d)})  # fmt: skip
        if d["answered_share"] is not None:
            y = pad + (height - 2 * pad) * (1 - d["answered_share"])
            line.append(f"{round(x + step / 2, 1)},{round(y, 1)}")
    context = {
        **site_context,
        "title": f"{f'{product.capitalize()} calls' if product else 'Calls'} per day, last 30 days",
        "product": product, "products": PRODUCTS,
        "days": days, "bars": bars, "line": " ".join(line), "width": width,
        "height": height, "pad": pad, "peak": peak,
        "total": sum(d["total"] for d in days),
    }  # fmt: skip
    return TemplateResponse(request, "admin/calls/call/chart.html", context)


def _tip(day: dict) -> str:
    share = "-" if day["answered_share"] is None else f"{day['answered_share']:.0%}"
    return (
        f"{day['day']:%Y-%m-%d}: {day['outbound']} outbound, {day['inbound']} inbound, "
        f"{share} answered; {day['voice']} voice, {day['zentrunk']} zentrunk"
    )
