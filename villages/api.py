from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from accounts.scope import cooperatives_visible_to, households_visible_to

from . import selectors
from .models import Cooperative, Household, ShareClass


class CooperativeSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.name")
    village_dissolved_on = serializers.DateField(source="village.dissolved_on", allow_null=True)

    class Meta:
        model = Cooperative
        fields = ["id", "code", "name", "village", "village_dissolved_on"]


class HouseholdSerializer(serializers.ModelSerializer):
    cooperative = serializers.CharField(source="cooperative.code")
    community = serializers.CharField(source="community.code")
    micro_grid = serializers.CharField(source="micro_grid.code", allow_null=True, default=None)
    head_id_number = serializers.CharField(source="masked_id_number")
    phone = serializers.CharField(source="masked_phone")
    bank_account = serializers.CharField(source="masked_bank_account")
    holdings = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "cooperative",
            "number",
            "head_name",
            "head_id_number",
            "phone",
            "community",
            "micro_grid",
            "bank_account",
            "holdings",
        ]

    @extend_schema_field(serializers.DictField(child=serializers.DecimalField(12, 2)))
    def get_holdings(self, household):
        holdings = self.context["holdings"].get(household.pk, {})
        names = self.context["share_class_names"]
        # Two places on every database (SQLite sums come back as "3", PostgreSQL as "3.00").
        return {names[class_id]: f"{quantity:.2f}" for class_id, quantity in holdings.items()}


class CooperativeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CooperativeSerializer
    filterset_fields = ["code"]

    def get_queryset(self):
        return cooperatives_visible_to(self.request.user).select_related("village")


class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    """Households in the caller's scope; ID numbers, phones and accounts are masked."""

    serializer_class = HouseholdSerializer
    filterset_fields = ["cooperative__code", "community__code", "micro_grid__code", "number"]

    def get_queryset(self):
        return (
            households_visible_to(self.request.user)
            .select_related("cooperative", "community", "micro_grid")
            .order_by("cooperative__code", "number")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["holdings"] = {}
        context["share_class_names"] = {}
        return context

    def _with_holdings(self, households):
        context = self.get_serializer_context()
        context["holdings"] = selectors.holdings_by_household(
            households=[household.pk for household in households], on=timezone.localdate()
        )
        context["share_class_names"] = dict(ShareClass.objects.values_list("pk", "name"))
        return context

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        serializer = self.get_serializer_class()(page, many=True, context=self._with_holdings(page))
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()
        serializer = self.get_serializer_class()(
            household, context=self._with_holdings([household])
        )
        return Response(serializer.data)
