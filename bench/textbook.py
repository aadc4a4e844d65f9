"""The textbook DRF implementation of the Plivo list, for comparison only.

ListAPIView + ModelSerializer + DjangoFilterBackend + LimitOffsetPagination (with its
COUNT), scoped like ours (the caller's account tree, the last 7 days by default), so the
benchmark can show what our implementation buys. Mounted only by bench/settings.py.
"""

from datetime import timedelta

from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import generics, serializers
from rest_framework.pagination import LimitOffsetPagination

from accounts.models import Account
from calls.models import Call
from calls.plivo.auth import AccountBasicAuthentication
from calls.plivo.views import IsAccount
from calls.vocabulary.hangup import name_for


class TextbookCallSerializer(serializers.ModelSerializer):
    hangup_cause_name = serializers.SerializerMethodField()
    resource_uri = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "answer_time", "bill_duration", "billed_duration", "call_direction",
            "call_duration", "call_uuid", "end_time", "from_number", "hangup_cause_code",
            "hangup_cause_name", "hangup_source", "initiation_time", "parent_call_uuid",
            "resource_uri", "stir_verification", "to_number", "total_amount", "total_rate",
        ]  # fmt: skip

    def get_hangup_cause_name(self, obj) -> str:
        return name_for(obj.product, obj.hangup_cause_code)

    def get_resource_uri(self, obj) -> str:
        return f"/v1/Account/{obj.account_id}/Call/{obj.call_uuid}/"


class TextbookFilterSet(filters.FilterSet):
    """The Plivo filters by the Plivo names, as django-filter spells them."""

    from_number = filters.CharFilter(field_name="from_number_norm", lookup_expr="startswith")
    to_number = filters.CharFilter(field_name="to_number_norm", lookup_expr="startswith")

    class Meta:
        model = Call
        fields = {
            "call_direction": ["exact"],
            "bill_duration": ["exact", "gt", "gte", "lt", "lte"],
            "end_time": ["exact", "gt", "gte", "lt", "lte"],
            "hangup_cause_code": ["exact"],
            "hangup_source": ["exact"],
            "stir_verification": ["exact"],
            "parent_call_uuid": ["exact"],
        }


class Pagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 20


class TextbookCallList(generics.ListAPIView):
    authentication_classes = [AccountBasicAuthentication]
    permission_classes = [IsAccount]
    serializer_class = TextbookCallSerializer
    pagination_class = Pagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = TextbookFilterSet

    def get_queryset(self):
        ids = Account.objects.subtree_ids(self.request.user.pk)
        now = timezone.now()
        product = "zentrunk" if "/Zentrunk/" in self.request.path else "voice"
        calls = Call.objects.filter(
            account_id__in=ids, end_time__gte=now - timedelta(days=90), product=product
        )
        if not any(k.startswith("end_time") for k in self.request.query_params):
            calls = calls.filter(end_time__gte=now - timedelta(days=7))  # the default window
        return calls.order_by("-end_time", "-call_uuid")


class TextbookCallDetail(generics.RetrieveAPIView):
    authentication_classes = [AccountBasicAuthentication]
    permission_classes = [IsAccount]
    serializer_class = TextbookCallSerializer
    lookup_field = "call_uuid"

    def get_queryset(self):
        ids = Account.objects.subtree_ids(self.request.user.pk)
        return Call.objects.filter(
            account_id__in=ids, end_time__gte=timezone.now() - timedelta(days=90)
        )
