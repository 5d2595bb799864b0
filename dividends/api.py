"""Dividend runs for programs.

/api/dividend-runs/               GET runs in the caller's scope (filters: cooperative, year,
                                  status); POST creates a run and sends it to be computed
                                  (accountants of the cooperative, subdistrict admins)
/api/dividend-runs/{id}/          GET one run with its pools and what was paid
/api/dividend-runs/{id}/lines/    GET its lines, paginated; bank accounts masked
/api/dividend-runs/{id}/approve/  POST approve a computed run (it is frozen from then on); under
                                  four-eyes never by the run's creator

No PUT, PATCH or DELETE: a run changes only through the services, and a new computation
is a new version.

Scope: accountants, the cooperative's supervisor (理事长/监事长) and subdistrict admins
see the runs of `cooperatives_signed_by` with all their lines; only accountants and
admins create runs. Who may approve a run is `services.approval_refusal`. A villager sees
only the approved runs of their own cooperative, and in them only their own household's
line. Community staff see no run.
"""

from decimal import Decimal

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from accounts.scope import cooperatives_managed_by, cooperatives_signed_by, cooperatives_visible_to
from pinghu_points.parameters import YearField, YearFilter

from . import run_jobs, services
from .models import DividendLine, DividendRun
from .policies import validate_parameters

INCENTIVE_FIELDS = {
    "incentive_ratio": DividendRun.IncentiveMode.RATIO_OF_BASE,
    "incentive_pool": DividendRun.IncentiveMode.FIXED,
    "incentive_share": DividendRun.IncentiveMode.SHARE_OF_TOTAL,
}


def _is_manager(user):
    if not getattr(user, "is_authenticated", False):
        return False
    return user.may_pay


def _is_signer(user):
    """Reads every line of the runs of `cooperatives_signed_by` (managers and supervisors)."""
    return getattr(user, "may_sign", False)


class DividendRunSerializer(serializers.ModelSerializer):
    cooperative = serializers.CharField(source="cooperative.code", read_only=True)
    cooperative_name = serializers.CharField(source="cooperative.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    approved_by = serializers.CharField(
        source="approved_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = DividendRun
        fields = [
            "id",
            "cooperative",
            "cooperative_name",
            "year",
            "version",
            "record_date",
            "status",
            "progress",
            "error",
            "total",
            "incentive_mode",
            "incentive_value",
            "base_pool",
            "incentive_pool",
            "ceiling_confirmed",
            "policy",
            "parameters",
            "incentive_paid",
            "remainder",
            "household_count",
            "created_by",
            "created_at",
            "computed_at",
            "approved_by",
            "approved_at",
        ]
        read_only_fields = fields


class DividendLineSerializer(serializers.ModelSerializer):
    bank_account = serializers.CharField(source="masked_bank_account", read_only=True)
    head_id_number = serializers.CharField(source="head_id_number_masked", read_only=True)
    shares = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = DividendLine
        fields = [
            "id",
            "household",
            "household_number",
            "head_name",
            "head_id_number",
            "community_name",
            "bank_name",
            "bank_account",
            "shares",
            "weighted_shares",
            "score",
            "vetoed",
            "base_amount",
            "incentive_amount",
            "total_amount",
        ]
        read_only_fields = fields


class TierSerializer(serializers.Serializer):
    min_score = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=Decimal("0"))
    share_of_base = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal("0"))


class MoneyInputField(serializers.DecimalField):
    """A money input left to `services.validate_money_inputs` (its messages, everywhere the
    same), documented in the schema with the numbers that check accepts (`schema_pattern`,
    read by pinghu_points.schema): an empty or signed value is not schema-valid."""

    def __init__(self, *, places, column, **kwargs):
        super().__init__(max_digits=None, decimal_places=None, **kwargs)
        self.schema_pattern = services.money_input_pattern(places=places, field=column)


class DividendRunCreateSerializer(serializers.Serializer):
    """The fields of `run_dividend`: exactly one of incentive_ratio / _pool / _share."""

    cooperative = serializers.CharField(max_length=32, help_text="cooperative code")
    year = YearField()
    # Any number here: places, sign and size are checked by `services.validate_money_inputs`,
    # the one check the page form and `run_dividend` use too (same messages everywhere).
    total = MoneyInputField(places=2, column="total")
    # Exactly one of the three; null counts as not given.
    incentive_ratio = MoneyInputField(
        places=4, column="incentive_value", required=False, allow_null=True
    )
    incentive_pool = MoneyInputField(
        places=2, column="incentive_value", required=False, allow_null=True
    )
    incentive_share = MoneyInputField(
        places=4, column="incentive_value", required=False, allow_null=True
    )
    policy = serializers.ChoiceField(
        choices=DividendRun.Policy.choices, default=DividendRun.Policy.SCORE
    )
    min_score = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        default=None,
    )
    tiers = TierSerializer(many=True, required=False)
    veto = serializers.BooleanField(default=True)
    record_date = serializers.DateField(required=False, allow_null=True, default=None)
    confirm_ceiling = serializers.BooleanField(default=False)

    def validate_cooperative(self, code):
        cooperative = (
            cooperatives_managed_by(self.context["request"].user).filter(code=code).first()
        )
        if cooperative is None:
            raise serializers.ValidationError(_("没有编码为“%(code)s”的合作社") % {"code": code})
        return cooperative

    def validate(self, data):
        given = [name for name in INCENTIVE_FIELDS if data.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError(
                _("须且只能指定 incentive_ratio、incentive_pool、incentive_share 之一")
            )
        data["incentive_mode"] = INCENTIVE_FIELDS[given[0]]
        data["incentive_value"] = data[given[0]]
        try:
            services.validate_money_inputs(
                total=data["total"],
                incentive_mode=data["incentive_mode"],
                incentive_value=data["incentive_value"],
            )
        except DjangoValidationError as error:
            fields = {"total": "total", "incentive_value": given[0]}
            raise serializers.ValidationError(
                {fields[field]: messages for field, messages in error.message_dict.items()}
            ) from error
        parameters = {"veto": data["veto"]}
        if data.get("min_score") is not None:
            parameters["min_score"] = str(data["min_score"])
        tiers = data.get("tiers")
        if tiers and data["policy"] != DividendRun.Policy.TIERS:
            raise serializers.ValidationError({"tiers": _("只有按积分档次分配时才能设定档次")})
        if tiers:
            parameters["tiers"] = sorted(
                (
                    {
                        "min_score": str(tier["min_score"]),
                        "share_of_base": str(tier["share_of_base"]),
                    }
                    for tier in tiers
                ),
                key=lambda tier: Decimal(tier["min_score"]),
            )
        if validate_parameters(data["policy"], parameters):
            raise serializers.ValidationError(
                {"tiers": _("分配参数不正确：档次须按分数从低到高、比例不减且不为负")}
            )
        data["parameters"] = parameters
        return data


class DividendRunFilter(django_filters.FilterSet):
    cooperative = django_filters.CharFilter(field_name="cooperative__code")
    year = YearFilter()

    class Meta:
        model = DividendRun
        fields = ["cooperative", "year", "status"]


class DividendRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Dividend runs of the caller's cooperatives (villagers: approved runs only)."""

    queryset = DividendRun.objects.none()  # for the schema; the scoped one is get_queryset
    serializer_class = DividendRunSerializer
    filterset_class = DividendRunFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        runs = DividendRun.objects.select_related("cooperative", "created_by", "approved_by")
        if _is_signer(user):
            runs = runs.filter(cooperative__in=cooperatives_signed_by(user))
        elif getattr(user, "is_villager", False):
            runs = runs.filter(
                cooperative__in=cooperatives_visible_to(user),
                status=DividendRun.Status.APPROVED,
            )
        else:
            runs = runs.none()
        return runs.order_by("cooperative__code", "-year", "-version")

    def get_serializer_class(self):
        if self.action == "create":
            return DividendRunCreateSerializer
        if self.action == "lines":
            return DividendLineSerializer
        return DividendRunSerializer

    @extend_schema(
        request=DividendRunCreateSerializer,
        responses={201: DividendRunSerializer, 202: DividendRunSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Create a run (a new version for the cooperative and year) and send it to be
        computed. The response shows its pools; poll the run until `status` is `computed`
        (or `failed`). An incentive pool above 20% of the total needs `confirm_ceiling`.
        202 instead of 201: the run is saved but the job queue was unreachable; it is
        computed automatically when the queue is back (do not create it again)."""
        if not _is_manager(request.user):
            raise PermissionDenied(_("只有合作社会计或街道管理员可以创建分红方案"))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run = services.dividend_run_create(
                actor=request.user,
                cooperative=data["cooperative"],
                year=data["year"],
                total=data["total"],
                incentive_mode=data["incentive_mode"],
                incentive_value=data["incentive_value"],
                policy=data["policy"],
                parameters=data["parameters"],
                record_date=data["record_date"],
                ceiling_confirmed=data["confirm_ceiling"],
            )
        except DjangoValidationError as error:
            raise ApiValidationError({"detail": error.messages}) from error
        sent = True
        try:
            sent = run_jobs.dividend_run_enqueue(run=run)
        except Exception:
            # Eager mode computes inside the call: a failure is on the run row; the run
            # itself was created, so answer 201 with status `failed` and its error.
            run.refresh_from_db()
            if run.status != DividendRun.Status.FAILED:
                raise
        run = self.get_queryset().get(pk=run.pk)
        # The broker could not be reached: the run is saved (status `queued`) and is sent
        # when the queue is back. 202, so that a client does not create it again.
        answer = status.HTTP_202_ACCEPTED if sent is False else status.HTTP_201_CREATED
        return Response(DividendRunSerializer(run).data, status=answer)

    @extend_schema(request=None, responses={200: DividendRunSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a computed run. It is frozen from then on; one approved run per year.
        Under the cooperative's four-eyes rule (on by default) the run's creator is refused
        (400): another accountant of the cooperative or its supervisor approves."""
        run = self.get_object()
        if not _is_signer(request.user):
            raise PermissionDenied(_("您不能审批分红方案"))
        try:
            services.dividend_run_approve(actor=request.user, run=run)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise ApiValidationError({"detail": error.messages}) from error
        run = self.get_queryset().get(pk=run.pk)
        return Response(DividendRunSerializer(run).data)

    @extend_schema(responses={200: DividendLineSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def lines(self, request, pk=None):
        """The run's lines in household-number order (a villager: only their own)."""
        run = self.get_object()
        lines = DividendLine.objects.filter(run=run).order_by("household_number", "pk")
        if not _is_signer(request.user):
            lines = lines.filter(household_id=request.user.household_id)
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(DividendLineSerializer(page, many=True).data)
