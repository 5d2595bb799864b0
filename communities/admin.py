from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from accounts.admin_scope import ScopedAdmin, ScopedInline
from accounts.scope import communities_visible_to, households_visible_to
from accounts.services import audit_record
from pinghu_points import files
from villages.admin import TownFieldAdmin

from .models import (
    Community,
    EventReview,
    HouseholdVisit,
    MicroGrid,
    MonthStatusChange,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StaffMembership,
    StandardAdoption,
)
from .resources import CommunityResource, ItemResource, MicroGridResource


class StaffMembershipInline(ScopedInline, admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(ScopedAdmin, TownFieldAdmin, ImportExportModelAdmin):
    resource_classes = [CommunityResource]
    list_display = ["code", "name", "town", "kind", "village", "phone"]
    list_filter = ["town", "kind"]
    search_fields = ["code", "name"]
    inlines = [StaffMembershipInline]


@admin.register(MicroGrid)
class MicroGridAdmin(ScopedAdmin, ImportExportModelAdmin):
    resource_classes = [MicroGridResource]
    list_display = ["name", "code", "community", "leader_name", "leader"]
    list_filter = ["community"]
    search_fields = ["name", "code", "leader_name", "community__name"]
    list_select_related = ["community", "leader"]
    autocomplete_fields = ["leader"]


# ---------------------------------------------------------------------------
# Standards, items and the points ledger.
#
# A published standard is frozen: its own figures and its items are read-only here, because
# scores already entered under it must keep meaning what they meant. A correction is a new
# version ("复制为新版本"), adopted again by the cooperatives' representative meetings.
# The ledger (score events, reviews, month closes) can be read and filtered, never changed.
# ---------------------------------------------------------------------------


def _published(standard):
    return standard is not None and standard.status == ScoringStandard.Status.PUBLISHED


class StandardAdoptionForm(forms.ModelForm):
    class Meta:
        model = StandardAdoption
        fields = [
            "cooperative",
            "meeting_date",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "resolution",
        ]

    def clean_resolution(self):
        resolution = self.cleaned_data.get("resolution")
        if isinstance(resolution, UploadedFile):
            return files.clean_resolution(resolution)
        return resolution


class StandardAdoptionFormSet(forms.BaseInlineFormSet):
    """One standard per cooperative and year, checked against the year being saved.

    In the inline forms the standard may not exist yet (the add page) or may be given a
    new year on this very page, so the check is made here, with the standard as the page
    will save it (`self.instance`), for every row — new, changed or unchanged — and
    between the rows themselves: a form error, never the database's IntegrityError.
    """

    def clean(self):
        super().clean()
        year = self.instance.year
        if not year:
            return
        taken = {}
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", None) or {}
            cooperative = cleaned.get("cooperative")
            if cooperative is None or cleaned.get("DELETE"):
                continue
            # A read-only row (a published standard's) carries the id, an edited one the row.
            cooperative_id = getattr(cooperative, "pk", cooperative)
            clash = StandardAdoption.objects.filter(cooperative_id=cooperative_id, year=year)
            if self.instance.pk:
                clash = clash.exclude(standard=self.instance)
            clash = clash.select_related("standard", "cooperative").first()
            if clash is not None:
                other, name = clash.standard, clash.cooperative
            else:
                other, name = taken.get(cooperative_id), cooperative
            if other is not None:
                form.add_error(
                    "cooperative",
                    _(
                        "%(cooperative)s 在 %(year)s 年已采用“%(standard)s”，一个合作社每年只能采用一个标准"
                    )
                    % {"cooperative": name, "year": year, "standard": other},
                )
            taken.setdefault(cooperative_id, self.instance)


class StandardAdoptionInline(ScopedInline, admin.TabularInline):
    """The shareholder representative meeting that voted the standard, with its resolution."""

    model = StandardAdoption
    form = StandardAdoptionForm
    formset = StandardAdoptionFormSet
    extra = 0
    fields = [
        "cooperative",
        "meeting_date",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "resolution",
        "recorded_at",
    ]
    readonly_fields = ["recorded_at"]
    autocomplete_fields = ["cooperative"]

    # Once the standard is published, who adopted it is history: scores depend on it.
    # Another cooperative may still adopt it (a new row).
    def has_change_permission(self, request, obj=None):
        published = obj is not None and obj.status == ScoringStandard.Status.PUBLISHED
        return not published and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        published = obj is not None and obj.status == ScoringStandard.Status.PUBLISHED
        return not published and super().has_delete_permission(request, obj)


class ScoringItemInline(ScopedInline, admin.TabularInline):
    model = ScoringItem
    extra = 0
    fields = [
        "code",
        "name",
        "category",
        "direction",
        "default_points",
        "min_points",
        "max_points",
        "cap_per_month",
        "cap_per_year",
        "is_veto",
        "evidence_required",
        "rectify_days",
        "rectify_refund_percent",
    ]

    def has_add_permission(self, request, obj=None):
        return not _published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _published(obj) and super().has_delete_permission(request, obj)


@admin.register(ScoringStandard)
class ScoringStandardAdmin(ScopedAdmin, TownFieldAdmin, admin.ModelAdmin):
    list_display = [
        "year",
        "name",
        "theme",
        "base_points",
        "lower_bound",
        "upper_bound",
        "status",
        "item_count",
        "adopted_by",
    ]
    list_filter = ["year", "status"]
    search_fields = [
        "name",
        "theme",
        "adoptions__cooperative__name",
        "adoptions__cooperative__code",
    ]
    inlines = [StandardAdoptionInline, ScoringItemInline]
    actions = ["copy_as_new_version"]
    frozen_fields = [
        "town",
        "name",
        "year",
        "theme",
        "base_points",
        "lower_bound",
        "upper_bound",
        "status",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(item_total=Count("items", distinct=True))
            .prefetch_related("adoptions__cooperative")
        )

    @admin.display(description=_("积分项数"), ordering="item_total")
    def item_count(self, standard):
        return standard.item_total

    @admin.display(description=_("采用的合作社"))
    def adopted_by(self, standard):
        return "、".join(adoption.cooperative.name for adoption in standard.adoptions.all())

    def get_readonly_fields(self, request, obj=None):
        if _published(obj):
            return self.frozen_fields
        return []

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if _published(obj):
            name, options = fieldsets[0]
            fieldsets = [
                (
                    name,
                    {
                        **options,
                        "description": _(
                            "该标准已发布，基础分、上下限和积分项都不能再修改。"
                            "如需更正，请在列表中选中它，用“复制为新版本（草稿）”新建一个版本，"
                            "修改后发布，并由各合作社重新登记采用决议。"
                        ),
                    },
                ),
                *fieldsets[1:],
            ]
        return fieldsets

    def has_delete_permission(self, request, obj=None):
        return not _published(obj) and super().has_delete_permission(request, obj)

    def changeform_view(self, request, *args, **kwargs):
        # The admin saves the standard and its adoptions (with their resolution files) in
        # one transaction: a resolution is stored only if that transaction commits.
        with files.stored_with_rows():
            return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        was_published = (
            change
            and ScoringStandard.objects.filter(pk=obj.pk, status=obj.Status.PUBLISHED).exists()
        )
        super().save_model(request, obj, form, change)
        if _published(obj) and not was_published:
            audit_record(
                actor=request.user,
                action="standard.published",
                target=obj,
                details={"year": obj.year, "base_points": str(obj.base_points)},
            )

    @admin.action(description=_("复制为新版本（草稿）"))
    def copy_as_new_version(self, request, queryset):
        for standard in queryset.prefetch_related("items"):
            copy = _copy_standard(standard)
            audit_record(
                actor=request.user,
                action="standard.copied",
                target=copy,
                details={"from": standard.pk},
            )
            self.message_user(
                request,
                _("已复制为草稿“%(copy)s”；修改积分项后发布，并由各合作社重新登记采用决议")
                % {"copy": copy},
                messages.SUCCESS,
            )


@transaction.atomic
def _copy_standard(standard):
    number = 2
    while ScoringStandard.objects.filter(
        town=standard.town, year=standard.year, name=f"{standard.name}（第{number}版）"
    ).exists():
        number += 1
    copy = ScoringStandard.objects.create(
        town=standard.town,
        name=f"{standard.name}（第{number}版）",
        year=standard.year,
        theme=standard.theme,
        base_points=standard.base_points,
        lower_bound=standard.lower_bound,
        upper_bound=standard.upper_bound,
        status=ScoringStandard.Status.DRAFT,
    )
    ScoringItem.objects.bulk_create(
        [
            ScoringItem(
                standard=copy,
                **{
                    field.name: getattr(item, field.name)
                    for field in ScoringItem._meta.concrete_fields
                    if field.name not in ("id", "standard")
                },
            )
            for item in standard.items.all()
        ]
    )
    return copy


@admin.register(ScoringItem)
class ScoringItemAdmin(ScopedAdmin, ImportExportModelAdmin):
    """Items of draft standards can be edited and imported; items of published ones are read-only."""

    resource_classes = [ItemResource]
    list_display = [
        "code",
        "name",
        "standard",
        "category",
        "direction",
        "default_points",
        "min_points",
        "max_points",
        "cap_per_month",
        "cap_per_year",
        "is_veto",
        "evidence_required",
    ]
    list_filter = [
        "standard__year",
        "standard__status",
        "standard",
        "category",
        "direction",
        "is_veto",
    ]
    search_fields = ["code", "name", "standard__name"]
    list_select_related = ["standard"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "standard":
            kwargs["queryset"] = ScoringStandard.objects.filter(status=ScoringStandard.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and _published(obj.standard)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and _published(obj.standard)) and super().has_delete_permission(
            request, obj
        )


class ReadOnlyAdmin(ScopedAdmin, admin.ModelAdmin):
    """Append-only rows: listed and filtered here, written only through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScoreEvent)
class ScoreEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_on",
        "household",
        "item",
        "points",
        "community",
        "entered_by",
        "entered_at",
        "note",
        "reverses",
        "needs_review",
    ]
    list_filter = [
        "community",
        "item__category",
        "item__standard",
        "item",
        "needs_review",
        ("reverses", admin.EmptyFieldListFilter),
    ]
    date_hierarchy = "occurred_on"
    search_fields = ["household__number", "household__head_name", "note"]
    list_select_related = [
        "household",
        "item",
        "community",
        "entered_by",
        "reverses__item",
        "reverses__household",
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(household__in=households_visible_to(request.user))
        )


@admin.register(EventReview)
class EventReviewAdmin(ReadOnlyAdmin):
    list_display = ["reviewed_at", "event", "decision", "reason", "reviewer"]
    list_filter = ["decision", "event__community"]
    date_hierarchy = "reviewed_at"
    search_fields = ["event__household__number", "event__household__head_name", "reason"]
    list_select_related = ["event__household", "event__item", "reviewer"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(event__household__in=households_visible_to(request.user))
        )


@admin.register(MonthStatusChange)
class MonthStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["community", "month", "action", "reason", "actor", "at"]
    list_filter = ["action", "community"]
    date_hierarchy = "month"
    search_fields = ["community__name", "community__code", "reason"]
    list_select_related = ["community", "actor"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(community__in=communities_visible_to(request.user))
        )


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_on", "household", "recorded_by", "recorded_at", "note"]
    list_filter = ["household__community", "household__micro_grid"]
    date_hierarchy = "visited_on"
    search_fields = ["household__number", "household__head_name", "note"]
    list_select_related = ["household", "recorded_by"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(household__in=households_visible_to(request.user))
        )
