"""The bank's endpoints on /api/v1/bank/ (docs/api.md, "The bank"):

/api/v1/bank/households/        GET the consenting households (?number=, ?ordering=)
/api/v1/bank/households/{id}/   GET one consenting household (404 without consent)
/api/v1/bank/lookup/?id_number= GET whether the head with this full ID number consented
/api/v1/bank/grades/            GET the subdistrict's grade table

For a bank officer's login or a bank token only (403 for anyone else). Every answer that
names households is recorded (`services.bank_looked`): audit trail and "bank last looked".
The same selectors as the pages (`banking.selectors`).
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lookup_limits import LookupRefused
from accounts.permissions import PasswordChanged
from villages.idnumbers import ID_NUMBER_PATTERN
from villages.models import Household, validate_id_number

from . import selectors, services
from .models import CreditGrade


class IsBankOfficer(BasePermission):
    message = _("只有合作银行的账号或令牌可以使用这个接口")

    def has_permission(self, request, view):
        return bool(getattr(request.user, "is_bank", False))


class YearScoreSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)


class BankHouseholdSerializer(serializers.Serializer):
    """Everything the bank sees of a household; nothing else is ever selected."""

    id = serializers.IntegerField(source="household_id")
    number = serializers.CharField()
    head_name = serializers.CharField()
    head_id_number = serializers.CharField(source="masked_id_number")
    scores = serializers.SerializerMethodField()
    graded_year = serializers.IntegerField(allow_null=True)
    grade = serializers.CharField(allow_null=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    def get_scores(self, row) -> YearScoreSerializer(many=True):
        return YearScoreSerializer(
            [{"year": year, "score": score} for year, score in row.score_list], many=True
        ).data


class BankHouseholdFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(field_name="number")

    class Meta:
        model = Household
        fields = ["number"]


class BankHouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    """The households whose head consented to the caller's bank, with the annual scores of
    the last three years and the credit grade."""

    serializer_class = BankHouseholdSerializer
    permission_classes = [PasswordChanged, IsBankOfficer]
    filterset_class = BankHouseholdFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["number", "head_name"]

    def get_queryset(self):
        return selectors.consenting_households(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        ids = [household.pk for household in page]
        rows = self._rows(ids)
        services.bank_looked(user=request.user, kind="list", household_ids=ids)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()
        services.bank_looked(user=request.user, kind="detail", household_ids=[household.pk])
        return Response(self.get_serializer(self._rows([household.pk])[0]).data)

    def _rows(self, ids):
        rows = {
            row.household_id: row
            for row in selectors.bank_rows(households=self.get_queryset().filter(pk__in=ids))
        }
        return [rows[pk] for pk in ids if pk in rows]


class LookupSerializer(serializers.Serializer):
    consent = serializers.BooleanField(
        help_text="Whether the head with this ID number consented to the caller's bank."
    )
    households = BankHouseholdSerializer(many=True, source="rows")


class LookupRefusedError(APIException):
    """429 with the reason (`lookup_throttled`, `lookup_blocked`) and `Retry-After`."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, refusal):
        super().__init__(detail={"detail": refusal.message, "code": refusal.code})
        self.wait = refusal.retry_after


class BankLookupView(APIView):
    """Look up one household head by the full ID number (exact match only). Without consent
    the answer is `consent: false` and nothing else, whether or not such a household exists.
    Per officer or token, on every channel: at most BANK_LOOKUP_RATE look-ups, and after
    BANK_LOOKUP_MISSES look-ups that found nobody the look-up is refused for a while and
    the admin is told (429, `code` `lookup_throttled` or `lookup_blocked`, `Retry-After`)."""

    permission_classes = [PasswordChanged, IsBankOfficer]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "id_number",
                str,
                required=True,
                pattern=ID_NUMBER_PATTERN,
                description="The head's full 18-character ID number.",
            )
        ],
        responses={200: LookupSerializer},
    )
    def get(self, request):
        id_number = request.query_params.get("id_number", "").strip().upper()
        try:
            validate_id_number(id_number)
        except DjangoValidationError as error:
            raise ValidationError({"id_number": error.messages}) from None
        try:
            result = services.bank_id_lookup(
                user=request.user, id_number=id_number, token=request.auth
            )
        except LookupRefused as refused:
            raise LookupRefusedError(refused.refusal) from None
        return Response(LookupSerializer(result).data)


class CreditGradeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditGrade
        fields = ["grade", "min_score", "amount"]


class CreditGradeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The subdistrict's grade table: a score of at least `min_score` earns `grade`."""

    serializer_class = CreditGradeSerializer
    permission_classes = [PasswordChanged, IsBankOfficer]
    pagination_class = None
    filter_backends = []
    queryset = CreditGrade.objects.order_by("-min_score")
