"""Admin for browsing hundreds of millions of CDRs: bounded, indexed, read-only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import update_wrapper

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from calls.admin import views as admin_views
from calls.admin.filters import (
    AccountFilter,
    EndTimeWindowFilter,
    HangupSourceFilter,
    SinceFilter,
    UntilFilter,
)
from calls.admin.paginator import CappedCountPaginator
from calls.models import Call, HangupCause, normalise_number
from calls.vocabulary.choices import ZENTRUNK
from calls.vocabulary.hangup import name_for

TRUNKING = "SIP trunking"


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "end_time", "product", "from_number", "to_number", "call_direction", "call_duration",
        "billed_duration", "hangup", "hangup_source", "stir_verification", "total_amount",
        "account",
    )  # fmt: skip
    list_filter = (
        EndTimeWindowFilter, SinceFilter, UntilFilter, AccountFilter, "product",
        "call_direction", HangupSourceFilter, "stir_verification",
    )  # fmt: skip
    search_fields = ("from_number_norm",)  # replaced by get_search_results below
    search_help_text = "A number prefix (+ ignored), or a call UUID."
    ordering = ("-end_time", "-call_uuid")
    sortable_by = ("end_time",)  # sorting a week of rows by anything else means a big sort
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice would scan the window
    list_per_page = 50
    fieldsets = (
        ("Parties", {"fields": ("call_uuid", "product", "account_link", "call_direction",
                                "from_number", "from_country", "to_number", "to_country",
                                "number_billing", "number_external", "legs")}),
        ("Timing", {"fields": ("initiation_time", "answer_time", "end_time", "date_insert",
                               "call_duration", "duration", "bill_duration")}),
        ("Billing", {"fields": ("billed_duration", "total_rate", "total_amount",
                                "price_lcr_src", "price_lcr_dst", "rate_lcr_src",
                                "rate_lcr_dst")}),
        ("Hangup", {"fields": ("hangup", "hangup_source", "sipcause",
                               "disconnect_originator")}),
        (TRUNKING, {"fields": ("trunk_domain", "transport_protocol", "srtp",
                               "secure_trunking", "secure_trunking_rate")}),
        ("Call quality", {"fields": ("rtt", "jitter", "packet_loss", "post_dial_delay",
                                     "quality_score")}),
        ("SIP and media", {"classes": ("collapse",), "fields": (
            "codec_src", "codec_dst", "transcoded", "ip_src", "ip_dst", "sipcallid_src",
            "sipcallid_dst", "trunk_sid_src", "trunk_sid_dst", "trunk_group_sid_src",
            "trunk_group_sid_dst", "endpoint_sid_src", "endpoint_sid_dst", "diversion_src",
            "diversion_dst", "number_src_original", "number_src_transformed",
            "number_dst_original", "number_dst_transformed", "cic", "cic_original",
            "cic_transformed")}),
        ("STIR/SHAKEN", {"fields": ("stir_verification", "stir_attest", "stir_identity",
                                    "stir_orig_id", "stir_signing_entity", "stir_verstat",
                                    "identity")}),
        ("Other", {"fields": ("type", "version", "user_data")}),
    )  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        """A Voice call has no trunk: its page leaves the section out."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.product != ZENTRUNK:
            return [(name, options) for name, options in fieldsets if name != TRUNKING]
        return fieldsets

    # A CDR is a record of fact: it can be read, never edited, added or deleted here.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        """The detail page's call, found through its end time (Call.objects.by_uuid)."""
        try:
            call_uuid = uuid.UUID(str(object_id))
        except ValueError:
            return None
        return self.get_queryset(request).by_uuid(call_uuid).first()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(call_uuid=uuid.UUID(term)), False
        except ValueError:
            pass
        prefix = normalise_number(term)
        from django.db.models import Q

        return queryset.filter(
            Q(from_number_norm__startswith=prefix) | Q(to_number_norm__startswith=prefix)
        ), False

    def get_urls(self):
        view = self.guarded_view
        return [
            path("export/", view(self.export_csv), name="calls_call_export"),
            path("chart/", view(self.chart), name="calls_call_chart"),
            *super().get_urls(),
        ]

    def guarded_view(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        """Wrap every custom view: a staff login (admin_view) and the permission the
        changelist itself asks for, so no side door shows more than the list does."""

        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return self.admin_site.admin_view(update_wrapper(guarded, view))

    def chart(self, request: HttpRequest) -> HttpResponse:
        return admin_views.chart(request, self.admin_site.each_context(request))

    def export_csv(self, request):
        """Stream the current filtered view as CSV (at most 30 days of it)."""
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:  # a hand-typed parameter: as the list answers it
            return HttpResponseRedirect(f"{reverse('admin:calls_call_changelist')}?{ERROR_FLAG}=1")
        try:
            return admin_views.stream_csv(request, changelist.get_queryset(request))
        except admin_views.ExportTooWide as exc:
            messages.error(request, str(exc))
            query = request.GET.urlencode()
            url = reverse("admin:calls_call_changelist")
            return HttpResponseRedirect(f"{url}?{query}" if query else url)

    @admin.display(description="hangup cause")
    def hangup(self, obj: Call) -> str:
        """The code and its name in the call's own product's catalogue."""
        return f"{obj.hangup_cause_code} {name_for(obj.product, obj.hangup_cause_code)}"

    @admin.display(description="account")
    def account_link(self, obj: Call) -> str:
        url = reverse("admin:accounts_account_change", args=[obj.account_id])
        return format_html('<a href="{}">{}</a>', url, obj.account)

    @admin.display(description="parent and child legs")
    def legs(self, obj: Call) -> str:
        links = []
        if obj.parent_call_uuid:
            url = reverse("admin:calls_call_change", args=[obj.parent_call_uuid])
            links.append((url, f"parent {obj.parent_call_uuid}"))
        # Child legs end around their parent: bound the search to a day either side so it
        # runs on the (account, end_time) index in one or two partitions.
        children = Call.objects.filter(
            account_id=obj.account_id,
            parent_call_uuid=obj.call_uuid,
            end_time__gte=obj.end_time - timedelta(days=1),
            end_time__lte=obj.end_time + timedelta(days=1),
        ).values_list("call_uuid", flat=True)[:50]
        for child in children:
            links.append((reverse("admin:calls_call_change", args=[child]), f"child {child}"))
        if not links:
            return "-"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links)


@admin.register(HangupCause)
class HangupCauseAdmin(admin.ModelAdmin):
    """Both of Plivo's catalogues: a code means something only with its product."""

    list_display = ("product", "code", "name")
    list_filter = ("product",)
    search_fields = ("name", "=code")

    def has_add_permission(self, request) -> bool:
        return False  # the catalogue is calls/vocabulary/hangup.py's; migrate loads it

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
