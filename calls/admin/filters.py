"""Changelist filters for a table too big for dropdowns and open-ended queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.utils import timezone

from accounts.models import Account
from calls.query.values import parse_utc_datetime
from calls.vocabulary.hangup import HANGUP_SOURCES_BY_PRODUCT

WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30),
           "90d": timedelta(days=90)}  # fmt: skip
DEFAULT_WINDOW = "7d"


def window_from_params(params) -> tuple[datetime, datetime]:
    """The end-time range a changelist request asks for (the last 7 days by default).

    `since`/`until` (UTC) win over the `window` choice; both are clamped to retention.
    """
    now = timezone.now()
    since, until = _time(params.get("since")), _time(params.get("until"))
    if since or until:
        until = until or now
        since = since or until - WINDOWS[DEFAULT_WINDOW]
    else:
        span = WINDOWS.get(params.get("window") or DEFAULT_WINDOW, WINDOWS[DEFAULT_WINDOW])
        since, until = now - span, now
    return max(since, now - WINDOWS["90d"]), until


def _time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_utc_datetime(raw.strip())
    except ValueError:
        try:
            return datetime.fromisoformat(raw.strip()).replace(tzinfo=UTC)
        except ValueError:
            return None


class EndTimeWindowFilter(admin.SimpleListFilter):
    """Last day / 7 days (default) / 30 / 90 days; every query is bounded in time."""

    title = "end time"
    parameter_name = "window"

    def lookups(self, request, model_admin):
        return [("1d", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"),
                ("90d", "Last 90 days")]  # fmt: skip

    def value(self):
        return super().value() or DEFAULT_WINDOW

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}, ["since", "until"]
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        since, until = window_from_params(request.GET)
        return queryset.filter(end_time__gte=since, end_time__lte=until)


class InputFilter(admin.SimpleListFilter):
    """A text box instead of a list of choices."""

    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the sidebar shows a filter only if it has a lookup

    def choices(self, changelist):
        all_choice = next(super().choices(changelist))
        all_choice["query_parts"] = [
            (k, v) for k, v in changelist.get_filters_params().items() if k != self.parameter_name
        ]
        yield all_choice


class AccountFilter(InputFilter):
    title = "account (auth id)"
    parameter_name = "account"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        account = Account.objects.filter(auth_id=value).values_list("pk", flat=True).first()
        return queryset.filter(account_id=account) if account else queryset.none()


class SinceFilter(InputFilter):
    title = "ended at or after (UTC)"
    parameter_name = "since"

    def queryset(self, request, queryset):
        return queryset  # applied with the window, see window_from_params


class UntilFilter(SinceFilter):
    title = "ended at or before (UTC)"
    parameter_name = "until"


class HangupSourceFilter(admin.SimpleListFilter):
    """The hangup sources of the product picked in the product filter (Voice's
    Caller/Callee/Plivo…, Zentrunk's customer/carrier/zentrunk), or all of them."""

    title = "hangup source"
    parameter_name = "hangup_source"

    def lookups(self, request, model_admin):
        product = request.GET.get("product__exact")
        if product in HANGUP_SOURCES_BY_PRODUCT:
            return [(source, source) for source in HANGUP_SOURCES_BY_PRODUCT[product]]
        # Both vocabularies: "carrier" (Zentrunk) and "Carrier" (Voice) need their product.
        return [
            (source, f"{source} ({name})")
            for name, sources in HANGUP_SOURCES_BY_PRODUCT.items()
            for source in sources
        ]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(hangup_source=value) if value else queryset
