"""The points ledger for programs (the villagers' app, the bank, scripts).

/api/score-events/           GET list (filters: household, year, month, community, item),
                             POST a batch through `score_events_record` (staff only)
/api/score-events/{id}/      GET one event. No PUT, PATCH or DELETE: the ledger is append-only.
/api/household-scores/       GET annual scores of the caller's households (?year=)
/api/household-scores/{id}/  GET one household's annual score, monthly series and veto flag

Every queryset starts from `accounts.scope`, so a caller reads only their own scope.
"""

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.scope import households_scorable_by, households_visible_to, sees_staff_names
from pinghu_points.months import months_of_year
from pinghu_points.parameters import (
    YEAR_SCHEMA,
    IdField,
    IdFilter,
    MonthFilter,
    YearFilter,
    YearFormField,
)

from . import selectors
from .models import ScoreEvent
from .services import BatchError, Entry, score_events_record

MAX_BATCH = 500


def _related(instance, name):
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


class ScoreEventSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    cooperative = serializers.CharField(source="household.cooperative.code", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    category = serializers.CharField(source="item.category", read_only=True)
    is_veto = serializers.BooleanField(source="item.is_veto", read_only=True)
    community = serializers.CharField(source="community.code", read_only=True)
    entered_by = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()
    reversed_by = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()

    class Meta:
        model = ScoreEvent
        fields = [
            "id",
            "household",
            "household_number",
            "cooperative",
            "item",
            "item_code",
            "item_name",
            "category",
            "is_veto",
            "points",
            "occurred_on",
            "community",
            "entered_by",
            "entered_at",
            "note",
            "evidence",
            "reverses",
            "reversed_by",
            "needs_review",
            "review",
            "counts",
            "batch",
        ]
        read_only_fields = fields

    def get_entered_by(self, event) -> str | None:
        """Username of the staff member who entered the event; null for villagers."""
        request = self.context.get("request")
        if not sees_staff_names(getattr(request, "user", None)):
            return None
        return event.entered_by.username

    def get_review(self, event) -> str:
        """none (no review needed), pending, confirmed or rejected."""
        return event.review_state

    def get_reversed_by(self, event) -> int | None:
        reversal = _related(event, "reversal")
        return reversal.pk if reversal is not None else None

    def get_counts(self, event) -> bool:
        """Whether the event counts toward the score (not waiting for review, not rejected)."""
        return event.counts


class EntrySerializer(serializers.Serializer):
    household = IdField()
    item = IdField()
    occurred_on = serializers.DateField()
    points = serializers.DecimalField(
        max_digits=7, decimal_places=1, required=False, allow_null=True, default=None
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class BatchSerializer(serializers.Serializer):
    entries = EntrySerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


# A refused batch: `errors` lists every refused entry (from `score_events_record`), or, when
# the request itself is malformed, DRF's field errors (`entries` → index → field → messages).
BATCH_ERRORS_SCHEMA = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["index", "field", "message"],
            },
        }
    },
    "additionalProperties": {},
}


class ScoreEventFilter(django_filters.FilterSet):
    household = IdFilter(field_name="household_id")
    year = YearFilter(field_name="occurred_on", lookup_expr="year")
    month = MonthFilter(field_name="occurred_on", lookup_expr="month")
    community = django_filters.CharFilter(field_name="community__code")
    item = django_filters.CharFilter(field_name="item__code")

    class Meta:
        model = ScoreEvent
        fields = ["household", "year", "month", "community", "item"]


class ScoreEventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Score events of the caller's households, newest first. Events are never changed:
    a correction is a reversal event (`reverses`), made on the household's page."""

    serializer_class = ScoreEventSerializer
    filterset_class = ScoreEventFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return (
            ScoreEvent.objects.filter(household__in=households_visible_to(self.request.user))
            .select_related(
                "household__cooperative",
                "item",
                "community",
                "entered_by",
                "review",
                "reversal",
            )
            .order_by("-occurred_on", "-id")
        )

    @extend_schema(
        request=BatchSerializer,
        filters=False,
        responses={
            201: ScoreEventSerializer(many=True),
            400: OpenApiResponse(
                BATCH_ERRORS_SCHEMA,
                description="The batch was refused, nothing was saved.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """Record a batch of add/deduct events: all of them, or none with every error listed
        (`index` is the entry's position in `entries`). Points are magnitudes; the item gives
        the sign; an empty `points` means the item's default. Items needing a photo must be
        entered on the batch page."""
        user = request.user
        if not user.may_score:
            raise PermissionDenied(_("只有社区工作人员可以录入积分"))
        if not households_scorable_by(user).exists():
            raise PermissionDenied(_("您尚未分配社区"))
        batch = BatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        entries = [
            Entry(
                household_id=entry["household"],
                item_id=entry["item"],
                occurred_on=entry["occurred_on"],
                points=entry["points"],
                note=entry["note"],
            )
            for entry in batch.validated_data["entries"]
        ]
        try:
            events = score_events_record(actor=user, entries=entries, source="api")
        except BatchError as error:
            return Response(
                {
                    "errors": [
                        {"index": e.index, "field": e.field, "message": str(e.message)}
                        for e in error.errors
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        saved = self.get_queryset().filter(pk__in=[event.pk for event in events])
        return Response(self.get_serializer(saved, many=True).data, status=status.HTTP_201_CREATED)


class HouseholdScoreSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    number = serializers.CharField()
    cooperative = serializers.CharField()
    year = serializers.IntegerField()
    base_points = serializers.DecimalField(7, 1, allow_null=True)
    score = serializers.DecimalField(7, 1, allow_null=True)
    monthly = serializers.ListField(child=serializers.DecimalField(7, 1), required=False)
    vetoed = serializers.BooleanField()


YEAR_PARAMETER = OpenApiParameter(
    "year", YEAR_SCHEMA, description="年度，默认今年 (year, default this year)"
)


class HouseholdScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Annual score = the standard's base points + the counting events of the year, clipped
    to the standard's bounds (null when the cooperative adopted no published standard)."""

    serializer_class = HouseholdScoreSerializer
    filterset_fields = []

    def get_queryset(self):
        return (
            households_visible_to(self.request.user)
            .select_related("cooperative")
            .order_by("cooperative__code", "number")
        )

    def _year(self):
        """?year= or this year; a year that is not one is a 400, as on the other routes."""
        field = YearFormField(required=False)
        try:
            year = field.clean(self.request.query_params.get("year"))
        except DjangoValidationError as error:
            raise ValidationError({"year": error.messages}) from error
        return year or timezone.localdate().year

    def _rows(self, households, *, year, monthly):
        ids = [household.pk for household in households]
        queryset = households_visible_to(self.request.user).filter(pk__in=ids)
        scores = selectors.annual_scores(households=queryset, year=year)
        standards = selectors.standards_by_cooperative(
            cooperative_ids={household.cooperative_id for household in households}, year=year
        )
        vetoed = selectors.vetoed_household_ids(household_ids=ids, year=year)
        today = timezone.localdate()
        through_month = months_of_year(year, today=today)
        series = (
            selectors.monthly_scores(households=queryset, year=year, through_month=through_month)
            if monthly
            else {}
        )
        rows = []
        for household in households:
            standard = standards.get(household.cooperative_id)
            row = {
                "household": household.pk,
                "number": household.number,
                "cooperative": household.cooperative.code,
                "year": year,
                "base_points": standard.base_points if standard else None,
                "score": scores.get(household.pk),
                "vetoed": household.pk in vetoed,
            }
            if monthly:
                row["monthly"] = series.get(household.pk, [])
            rows.append(row)
        return rows

    @extend_schema(parameters=[YEAR_PARAMETER])
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = self._rows(page, year=self._year(), monthly=False)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(parameters=[YEAR_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()
        rows = self._rows([household], year=self._year(), monthly=True)
        return Response(self.get_serializer(rows[0]).data)
