"""The call admin for staff who are not superusers: every view asks what the list asks."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from tests.admin_users import staff_client
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/calls/call/"


def _custom_urls() -> list[str]:
    """Every URL the call admin adds to Django's own (export, chart, whatever comes next)."""
    model_admin = admin.site.get_model_admin(Call)
    stock = {p.name for p in admin.ModelAdmin.get_urls(model_admin)}
    names = [p.name for p in model_admin.get_urls() if p.name not in stock]
    assert names, "the call admin has custom views"
    return [reverse(f"admin:{name}") for name in names]


@pytest.fixture
def call(main_account):
    return CallFactory(account=main_account, end_time=timezone.now() - timedelta(hours=3))


@pytest.mark.parametrize(
    "perms",
    [(), ("calls.view_call",), ("calls.change_call",), ("accounts.view_account",)],
    ids=["none", "view", "change", "other-model"],
)
def test_every_custom_view_answers_as_the_changelist_does(call, perms):
    client = staff_client(*perms)
    expected = client.get(CHANGELIST).status_code
    assert expected == (200 if {"calls.view_call", "calls.change_call"} & set(perms) else 403)
    for url in _custom_urls():
        assert client.get(url).status_code == expected, url


def test_staff_without_call_permission_get_no_export_and_no_chart(call):
    client = staff_client()
    export = client.get("/admin/calls/call/export/")
    assert export.status_code == 403
    assert not getattr(export, "streaming", False)
    assert str(call.call_uuid).encode() not in export.content
    chart = client.get("/admin/calls/call/chart/")
    assert chart.status_code == 403 and b"calls-chart" not in chart.content
    assert client.get(f"/admin/calls/call/{call.call_uuid}/change/").status_code == 403


def test_view_only_staff_browse_export_and_chart_but_cannot_edit(call):
    client = staff_client("calls.view_call")
    assert str(call.call_uuid) in client.get(CHANGELIST).content.decode()
    detail_url = f"/admin/calls/call/{call.call_uuid}/change/"
    detail = client.get(detail_url)
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.post(detail_url, {}).status_code == 403
    export = client.get("/admin/calls/call/export/")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r["call_uuid"] for r in rows] == [str(call.call_uuid)]
    chart = client.get("/admin/calls/call/chart/")
    assert sum(d["total"] for d in chart.context["days"]) == Call.objects.count()
