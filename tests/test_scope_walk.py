"""Every route, as every role, with another scope's ids: no data of that scope, no change.

The routes come from the resolver (`get_resolver()`, walked recursively: pages, the admin
site and the API router alike), so a new route is walked without touching this file. Its
path parameters are filled from PATH_PARAMETERS below with the ids of objects OUTSIDE the
caller's scope (the other community's or cooperative's household, event, run ...). A
route with a parameter this file cannot fill fails the test: give it a mapping.

For each route and role:
- GET (with the other scope's ids in the query string as well) answers below 500; with a
  path parameter a non-admin answers 302/400/401/403/404/405, never the object; no answer
  contains the other scope's household names;
- POST with the other scope's ids as form fields changes nothing: every row of the
  accounts, villages, communities and dividends tables is the same afterwards;
- an id above the largest bigint in every id parameter and query parameter answers
  below 500.

Two towns (docs/towns.md): 当湖街道 (the world) and 独山港镇 (a village, its cooperative,
community and micro-grid, with their staff, accountant, supervisor, villager and admin).
Each town's administrator ("admin" of 当湖街道, "admin_dushan") walks with the OTHER town's
ids, as the other roles do; on an admin site change page the object is a row of that model
outside their town (when the model has one). Every other role must not see 独山港镇's
households either. The city administrator ("city") has every town in scope: for them GET
must not fail and a POST without a CSRF token must be refused (403) and change nothing.
"""

import functools
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import scope
from accounts.models import AuditRecord, User
from appeals import services as appeal_services
from awards import services as award_services
from banking import services as bank_services
from banking.models import Bank
from communities.models import ScoringStandard, StandardAdoption
from communities.services import Entry, score_events_record
from dividends import run_jobs
from dividends import services as dividend_services
from dividends.models import DividendRun
from matters import services as matter_services
from pinghu_points.parameters import MAX_ID
from tests import factories
from tests.communities import conftest as points_fixtures
from villages.models import ImportJob

# The published 2026 standard and its items, as in tests/communities.
standard = points_fixtures.standard
items = points_fixtures.items

ROLES = [
    "admin",
    "admin_dushan",
    "city",
    "staff_east",
    "accountant_a",
    "supervisor_a",
    "villager_a",
    "bank",
    "anonymous",
]
# Roles with every record in scope (nothing hidden, POST refused without a CSRF token).
SEES_ALL = {"city"}
TOWN_ADMINS = {"admin", "admin_dushan"}
APPS_CHECKED = (
    "accounts",
    "villages",
    "communities",
    "dividends",
    "awards",
    "appeals",
    "banking",
    "matters",
)

# (route name, parameter) -> the kind of object whose id goes there. Route names are
# namespaced as in reverse(); API router routes have no namespace.
PATH_PARAMETERS = {
    ("accounts:villager_password", "household_id"): "household",
    ("villages:household_detail", "pk"): "household",
    ("villages:share_transfer", "pk"): "household",
    ("communities:household_points", "pk"): "household",
    ("communities:event_reverse", "pk"): "event",
    ("communities:review_veto", "pk"): "event",
    ("communities:door_household", "pk"): "household",
    ("card:household", "household_id"): "household",
    ("dividends:run_detail", "pk"): "run",
    ("dividends:run_progress", "pk"): "run",
    ("dividends:run_approve", "pk"): "run",
    ("dividends:run_recompute", "pk"): "run",
    ("dividends:run_retry", "pk"): "run",
    ("dividends:notice", "pk"): "notice_run",
    ("dividends:run_mark_paid", "pk"): "run",
    ("dividends:notice_public", "token"): "=not-a-signed-token",
    ("appeals:detail", "pk"): "appeal",
    # Award runs (awards.views): the other village's run; its notice like the dividend's.
    ("awards:run_detail", "pk"): "award_run",
    ("awards:run_progress", "pk"): "award_run",
    ("awards:run_approve", "pk"): "award_run",
    ("awards:run_recompute", "pk"): "award_run",
    ("awards:run_retry", "pk"): "award_run",
    ("awards:run_export", "pk"): "award_run",
    ("awards:run_export", "kind"): "=bank",
    ("awards:run_export", "file_format"): "=csv",
    ("awards:notice", "pk"): "award_notice_run",
    ("matters:detail", "pk"): "matter",
    ("matters:board_public", "token"): "=not-a-signed-token",
    ("communities:rectification_inspect", "pk"): "rectification",
    ("overview:matrix_cell", "village_id"): "village",
    ("overview:matrix_cell", "community_id"): "community",
    ("overview:honor_roll_setting", "community_id"): "community",
    ("appeals:file_event", "event_id"): "event",
    ("appeals:file_line", "line_id"): "line",
    ("villages:import_job", "pk"): "import_job",
    ("villages:import_job_progress", "pk"): "import_job",
    ("villages:import_job_errors", "pk"): "import_job",
    ("villages:import_job_retry", "pk"): "import_job",
    ("dividends:run_lines", "pk"): "run",
    ("dividends:run_export", "pk"): "run",
    ("dividends:run_export", "kind"): "=bank",
    ("dividends:run_export", "file_format"): "=csv",
    ("dividends:statement", "pk"): "run",
    ("dividends:statement", "household_id"): "household",
    ("cooperative-detail", "pk"): "cooperative",
    ("household-detail", "pk"): "household",
    ("score-event-detail", "pk"): "event",
    ("household-score-detail", "pk"): "household",
    ("dividend-run-detail", "pk"): "run",
    ("dividend-run-approve", "pk"): "run",
    ("dividend-run-lines", "pk"): "run",
    # API v1 mounts the same viewsets under the `v1` namespace, plus the bank's endpoints.
    ("v1:cooperative-detail", "pk"): "cooperative",
    ("v1:household-detail", "pk"): "household",
    ("v1:score-event-detail", "pk"): "event",
    ("v1:household-score-detail", "pk"): "household",
    ("v1:dividend-run-detail", "pk"): "run",
    ("v1:dividend-run-approve", "pk"): "run",
    ("v1:dividend-run-lines", "pk"): "run",
    ("v1:bank-household-detail", "pk"): "household",
    # The bank's window: the consent desk and withdrawal (banking.views).
    ("banking:desk", "household_id"): "household",
    ("banking:consent_withdraw", "consent_id"): "consent",
    # The admin site (staff only; the subdistrict admin sees everything anyway).
    ("admin:view_on_site", "content_type_id"): "household_content_type",
    ("admin:view_on_site", "object_id"): "household",
    ("admin:auth_user_password_change", "id"): "user",
    ("admin:app_list", "app_label"): "=villages",
    ("admin:*", "url"): "=no-such-admin-page/",
    ("admin:*", "object_id"): "admin_object",
    # Uploaded files, served only through the scope-checking view (tests/communities/test_files.py
    # walks real files of each scope).
    ("private_file", "name"): "=evidence/2026/03/not-yours.jpg",
}
# Kinds whose values are ids: each is also tried above the largest bigint.
ID_KINDS = {
    "household",
    "event",
    "run",
    "cooperative",
    "user",
    "admin_object",
    "import_job",
    "appeal",
    "matter",
    "line",
    "notice_run",
    "village",
    "community",
    "consent",
    "award_run",
    "award_notice_run",
    "rectification",
}
# The bank's reads record what it saw (audit trail, "bank last looked"): those rows are
# the bank's own reads, not a change of another scope.
BANK_READ_ROUTES = {
    "banking:home",
    "banking:lookup",
    "banking:export",
    "v1:bank-household-list",
    "v1:bank-household-detail",
    "v1:bank-lookup",
}
ADMIN_MODEL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


@pytest.fixture
def scene(world, standard, items, django_capture_on_commit_callbacks):
    """The world with score events on every household and an approved run per cooperative."""
    # 乱堆乱放 is rectifiable: each household's deduction below opens a rectification (整改).
    items["litter"].rectify_days = 7
    items["litter"].rectify_refund_percent = 100
    items["litter"].save()
    for staff, households in (
        (world.staff_east, [world.a_east, world.b_east]),
        (world.staff_west, [world.a_west, world.b_west]),
    ):
        score_events_record(
            actor=staff,
            entries=[
                Entry(household_id=h.pk, item_id=items["clean"].pk, occurred_on=date(2026, 3, 2))
                for h in households
            ]
            + [
                Entry(
                    household_id=h.pk,
                    item_id=items["litter"].pk,
                    occurred_on=date(2026, 3, 3),
                    note="门前堆物",
                )
                for h in households
            ],
        )
    # A third cooperative living only in the west: outside the east staff's scope entirely.
    world.coop_c = factories.cooperative(code="COOPC", name="丙村股份经济合作社")
    world.c_west = factories.household(
        cooperative_=world.coop_c,
        community_=world.west,
        micro_grid_=world.grid_west,
        number="C001",
        head_name="孙丽华",
        shares={"RK": "2"},
    )
    runs = {}
    for cooperative, accountant, supervisor in (
        (world.coop_a, world.accountant_a, world.supervisor_a),
        (world.coop_b, world.accountant_b, world.supervisor_b),
    ):
        run = dividend_services.dividend_run_create(
            actor=accountant,
            cooperative=cooperative,
            year=2026,
            total=Decimal("10000.00"),
            incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
            incentive_value=Decimal("0.2"),
            policy=DividendRun.Policy.SCORE,
        )
        with django_capture_on_commit_callbacks(execute=True):
            run_jobs.dividend_run_enqueue(run=run)
        run.refresh_from_db()
        assert run.status == DividendRun.Status.COMPUTED, run.error
        runs[cooperative.code] = dividend_services.dividend_run_approve(actor=supervisor, run=run)
    world.run_a, world.run_b = runs["COOPA"], runs["COOPB"]
    # The third cooperative's run (it signs alone): its notice is outside the east staff's
    # scope, while the notices of cooperatives with households in the east are theirs.
    world.coop_c.four_eyes_approval = False
    world.coop_c.save()
    StandardAdoption.objects.create(
        standard=standard, cooperative=world.coop_c, meeting_date=date(2026, 1, 15), votes_for=9
    )
    run_c = dividend_services.dividend_run_create(
        actor=world.admin,
        cooperative=world.coop_c,
        year=2026,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run_c)
    run_c.refresh_from_db()
    world.run_c = dividend_services.dividend_run_approve(actor=world.admin, run=run_c)
    # March's award of each village, approved by a second person (never its creator:
    # the third village's by a second subdistrict admin).
    second_admin = factories.user(username="admin2", role=User.Role.SUBDISTRICT_ADMIN)
    awards = {}
    for cooperative, accountant, signer in (
        (world.coop_a, world.accountant_a, world.supervisor_a),
        (world.coop_b, world.accountant_b, world.supervisor_b),
        (world.coop_c, world.admin, second_admin),
    ):
        award = award_services.award_run_create(
            actor=accountant,
            cooperative=cooperative,
            name="全域秀美月度奖励",
            period_kind="month",
            year=2026,
            period_number=3,
            pool=Decimal("1000.00"),
            categories=["environment"],
        )
        award = award_services.award_run_compute(run_id=award.pk)
        awards[cooperative.code] = award_services.award_run_approve(actor=signer, run=award)
    world.award_b, world.award_c = awards["COOPB"], awards["COOPC"]
    # The other cooperative's villager appeals their dividend line: theirs and their
    # accountant's to see, nobody else's.
    world.appeal_b = appeal_services.appeal_file(
        actor=world.villager_b,
        text="分红金额有误",
        line=world.run_b.lines.get(household=world.b_west),
    )
    # Matters (议事): the west villager's own, with a photo (theirs, the west staff's and the
    # admin's to see), and one the east staff took down for b_east, on the east grid's
    # public list that villager_a reads without b_east's name.
    world.matter_b = matter_services.matter_record(
        actor=world.villager_b, text="西一网格路灯坏了", photo=factories.photo()
    )
    matter_services.matter_record(
        actor=world.staff_east, micro_grid=world.grid_east, household=world.b_east, text="水沟堵了"
    )
    # Consents: a_east's head to the world's bank; b_west's head to another bank only.
    world.consent_a = bank_services.consent_give(
        household=world.a_east, bank=world.bank_officer.bank, actor=world.villager_a
    )
    world.consent_b = bank_services.consent_give(
        household=world.b_west,
        bank=Bank.objects.create(code="OTHERBANK", name="别的银行"),
        actor=world.villager_b,
    )
    # An import started by the other cooperative's accountant: its page is theirs alone.
    world.import_job_b = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        status=ImportJob.Status.FAILED,
        user=world.accountant_b,
        cooperative=world.coop_b,
        file_name="乙村名册.xlsx",
        error_count=1,
        errors=[{"row": 2, "column": "B", "message": world.b_west.head_name}],
    )
    second_town(world, django_capture_on_commit_callbacks)
    world.city = factories.user(
        username="city", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True
    )
    return world


def second_town(world, django_capture_on_commit_callbacks):
    """独山港镇: its own standard, village, cooperative, community, grid, two households,
    their points, an approved run and award, an appeal, a matter, a consent and an import,
    and every role of its own."""
    from villages.models import Town

    town = factories.town(code="DUSHAN", name="独山港镇", kind=Town.Kind.TOWN)
    village = factories.village(code="HJM", name="韩家庙村", town_=town)
    coop = factories.cooperative(code="COOPD", name="韩家庙村股份经济合作社", village_=village)
    community = factories.community(code="HJMCWH", name="韩家庙村村民委员会", town_=town)
    grid = factories.micro_grid(community_=community, code="HJM01", name="韩家庙一网格")
    households = [
        factories.household(
            cooperative_=coop,
            community_=community,
            micro_grid_=grid,
            number=number,
            head_name=name,
            shares={"RK": "2"},
        )  # fmt: skip
        for number, name in (("D001", "钱桂英"), ("D002", "周建平"))
    ]
    standard = ScoringStandard.objects.create(
        town=town, name="独山港镇统一标准", year=2026, base_points=Decimal("80"),
        lower_bound=Decimal("0"), upper_bound=Decimal("120"),
        status=ScoringStandard.Status.PUBLISHED,
    )  # fmt: skip
    clean = points_fixtures._item(standard, "HJ01", "庭院整洁", "add", "5", "1", "10")
    litter = points_fixtures._item(
        standard, "HJ11", "乱堆乱放", "deduct", "5", "1", "10", rectify_days=7,
        rectify_refund_percent=100,
    )  # fmt: skip
    StandardAdoption.objects.create(
        standard=standard, cooperative=coop, meeting_date=date(2026, 1, 15), votes_for=30
    )
    world.admin_d = factories.user(
        username="admin_dushan", role=User.Role.SUBDISTRICT_ADMIN, town=town, is_staff=True
    )
    staff = factories.user(
        username="staff_d", role=User.Role.COMMUNITY_STAFF, communities=[community]
    )
    accountant = factories.user(username="acc_d", role=User.Role.ACCOUNTANT, cooperative_=coop)
    supervisor = factories.user(username="sup_d", role=User.Role.SUPERVISOR, cooperative_=coop)
    villager = factories.user(
        username="villager_d", role=User.Role.VILLAGER, household_=households[0]
    )
    score_events_record(
        actor=staff,
        entries=[
            Entry(household_id=h.pk, item_id=item.pk, occurred_on=date(2026, 3, 2), note="门前堆物")
            for h in households
            for item in (clean, litter)
        ],
    )
    run = dividend_services.dividend_run_create(
        actor=accountant, cooperative=coop, year=2026, total=Decimal("5000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE, incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    run = dividend_services.dividend_run_approve(actor=supervisor, run=run)
    award = award_services.award_run_create(
        actor=accountant, cooperative=coop, name="环境奖励", period_kind="month", year=2026,
        period_number=3, pool=Decimal("1000.00"), categories=["environment"],
    )  # fmt: skip
    award = award_services.award_run_approve(
        actor=supervisor, run=award_services.award_run_compute(run_id=award.pk)
    )
    d = SimpleNamespace(
        town=town, village=village, cooperative=coop, community=community, grid=grid,
        household=households[0], households=households, run=run, award_run=award,
        villager=villager,
    )  # fmt: skip
    d.appeal = appeal_services.appeal_file(
        actor=villager, text="分红金额有误", line=run.lines.get(household=households[0])
    )
    d.matter = matter_services.matter_record(actor=villager, text="韩家庙一网格路灯坏了")
    d.consent = bank_services.consent_give(
        household=households[0], bank=Bank.objects.get(code="OTHERBANK"), actor=villager
    )
    d.import_job = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER, status=ImportJob.Status.FAILED, user=accountant,
        cooperative=coop, file_name="韩家庙名册.xlsx", error_count=1,
        errors=[{"row": 2, "column": "B", "message": households[1].head_name}],
    )  # fmt: skip
    world.dushan = d


def event_of(household):
    return household.score_events.order_by("pk").first()


def other_scope(scene, role):
    """What lies outside `role`'s scope, and the names that must not show."""
    w = scene
    danghu = [w.a_east, w.a_west, w.b_east, w.b_west, w.c_west]
    dushan = w.dushan.households
    everybody = danghu + dushan
    run, cooperative = w.run_b, w.coop_b
    if role == "admin":  # 当湖街道's admin: 独山港镇's records
        d = w.dushan
        return SimpleNamespace(
            household=d.household,
            event=event_of(d.household),
            run=d.run,
            cooperative=d.cooperative,
            grid=d.grid,
            community=d.community,
            user=d.villager,
            import_job=d.import_job,
            appeal=d.appeal,
            matter=d.matter,
            village=d.village,
            notice_run=d.run,
            award_run=d.award_run,
            award_notice_run=d.award_run,
            line=d.run.lines.order_by("pk").first(),
            consent=d.consent,
            rectification=d.household.rectifications.order_by("pk").first(),
            household_content_type=ContentType.objects.get_for_model(d.household),
            hidden_names=[h.head_name for h in dushan],
            town=d.town,
        )
    if role == "staff_east":  # the west community (and the cooperative living only there)
        household, grid, community = w.b_west, w.grid_west, w.west
        cooperative = w.coop_c
        hidden = [w.a_west, w.b_west, w.c_west, *dushan]
    elif role in ("accountant_a", "supervisor_a"):  # the other cooperatives
        household, grid, community = w.b_east, w.grid_east, w.east
        hidden = [w.b_east, w.b_west, w.c_west, *dushan]
    elif role == "admin_dushan":  # 独山港镇's admin: 当湖街道's records
        household, grid, community = w.b_west, w.grid_west, w.west
        hidden = danghu
    elif role == "villager_a":  # every other household, even of the same cooperative
        household, grid, community = w.a_west, w.grid_west, w.west
        hidden = [h for h in everybody if h != w.a_east]
    elif role == "bank":  # every household but the one whose head consented to this bank
        household, grid, community = w.b_west, w.grid_west, w.west
        hidden = [h for h in everybody if h != w.a_east]
    else:  # anonymous sees nothing; the city admin sees everything (nothing hidden)
        household, grid, community = w.b_west, w.grid_west, w.west
        hidden = [] if role in SEES_ALL else everybody
    return SimpleNamespace(
        household=household,
        event=event_of(household),
        run=run,
        cooperative=cooperative,
        grid=grid,
        community=community,
        user=w.villager_b,
        import_job=w.import_job_b,
        appeal=w.appeal_b,
        matter=w.matter_b,
        village=cooperative.village,
        # A notice is for everyone whose scope reaches the run's cooperative.
        notice_run=w.run_c if role == "staff_east" else run,
        award_run=w.award_b,
        award_notice_run=w.award_c if role == "staff_east" else w.award_b,
        line=w.run_b.lines.exclude(household=w.a_east).order_by("pk").first(),
        consent=w.consent_b,
        rectification=household.rectifications.order_by("pk").first(),
        household_content_type=ContentType.objects.get_for_model(household),
        hidden_names=[h.head_name for h in hidden],
        town=factories.town(),
    )


def routes():
    """(route, name, pattern) for every URL pattern, recursively, with full prefixes."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (
                    f"{namespace}:{pattern.name}" if namespace else pattern.name
                )
                yield prefix + str(pattern.pattern), name, namespace

    return list(walk(get_resolver().url_patterns, "", None))


PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<regex_name>\w+)>[^)]*\)")


def parameters_of(route):
    return [m["name"] or m["regex_name"] for m in PARAMETER.finditer(route)]


def kind_for(route, name, namespace, parameter):
    for key in ((name, parameter), (f"{namespace}:*", parameter), ("*", parameter)):
        if key in PATH_PARAMETERS:
            return PATH_PARAMETERS[key]
    return None


def admin_object(route, other, user=None):
    """The object for an admin change/delete/history page: the other scope's object of that
    model when this file knows one; for a town admin else a row of the model outside their
    town if there is one (else None: no row of that model is another town's); else any row."""
    match = ADMIN_MODEL.match(route)
    model = apps.get_model(match["app"], match["model"])
    known = {type(value): value for value in vars(other).values() if hasattr(value, "pk")}
    instance = known.get(model)
    if instance is None and user is not None and user.is_town_admin:
        theirs = scope.admin_rows(user, model.objects.all()).values("pk")
        instance = model.objects.exclude(pk__in=theirs).order_by("pk").first()
        if instance is None:
            return None
    instance = instance or model.objects.order_by("pk").first()
    return instance.pk if instance is not None else 1


def value_for(kind, route, other, user=None):
    if kind.startswith("="):
        return kind[1:]
    if kind == "admin_object":
        return admin_object(route, other, user)
    return getattr(other, kind).pk


def build_url(route, values):
    def replace(match):
        return str(values[match["name"] or match["regex_name"]])

    path = PARAMETER.sub(replace, route)
    # Regex routes: drop the anchors and the escapes of literal characters.
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + path


# Tables whose rows change in place (a run approved, a household edited, a user locked);
# every other table only grows or shrinks, and every write is audited as well.
WATCHED_ROWS = (
    "dividends.DividendRun",
    "awards.AwardRun",
    "villages.Household",
    "accounts.User",
    "appeals.Appeal",
    "matters.Matter",
    "banking.Consent",
    "banking.ApiToken",
)


def snapshot():
    """What the walk must not change: the row count of every table of our apps, and every
    row of the tables that change in place.

    Raw SQL built once: the walk takes four snapshots per route, and building ~40 ORM
    queries each time was most of its run time. Same tables, same rows, same comparison."""
    counts_sql, watched = _snapshot_sql()
    with connection.cursor() as cursor:
        cursor.execute(counts_sql)
        rows = dict(cursor.fetchall())
        for label, sql in watched:
            cursor.execute(sql)
            rows[label] = cursor.fetchall()
    return rows


@functools.cache
def _snapshot_sql():
    quote = connection.ops.quote_name
    counts, watched = [], []
    for app in APPS_CHECKED:
        for model in apps.get_app_config(app).get_models():
            label, table = model._meta.label, quote(model._meta.db_table)
            if label in WATCHED_ROWS:
                # force_login before each request sets last_login: not a change of the walk's.
                columns = ", ".join(
                    quote(f.column) for f in model._meta.concrete_fields if f.name != "last_login"
                )
                pk = quote(model._meta.pk.column)
                watched.append((label, f"SELECT {columns} FROM {table} ORDER BY {pk}"))
            else:
                counts.append(f"SELECT '{label}', COUNT(*) FROM {table}")
    return " UNION ALL ".join(counts), watched


def changed_tables(before, after):
    return sorted(label for label in before if before[label] != after[label])


def client_for(scene, role, *, enforce_csrf_checks=False):
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.raise_request_exception = False
    if role != "anonymous":
        user = {
            "admin": scene.admin,
            "admin_dushan": scene.admin_d,
            "city": scene.city,
            "staff_east": scene.staff_east,
            "accountant_a": scene.accountant_a,
            "supervisor_a": scene.supervisor_a,
            "villager_a": scene.villager_a,
            "bank": scene.bank_officer,
        }[role]
        client.force_login(user)
        client.user = user
    return client


def query_for(other):
    return {
        "household": other.household.pk,
        "grid": other.grid.pk,
        "community": other.community.pk,
        "cooperative": other.cooperative.pk,
        "event": other.event.pk,
        "run": other.run.pk,
        "year": 2026,
    }


def form_for(other):
    return {
        **query_for(other),
        "pk": other.household.pk,
        "household_id": other.household.pk,
        "target_number": other.household.number,
        "decision": "confirmed",
        "step": "assess",
        "assess-decision": "accepted",
        "reason": "scope walk",
        "month": "2026-03",
        "action": "close",
        "ip_address": "203.0.113.9",
        f"p-{other.household.pk}-1": "5",
    }


def test_every_route_is_known_to_the_walk(db):
    """A new route whose path parameters the walk cannot fill fails here: map it."""
    unmapped = [
        f"{route} ({name or 'unnamed'}): {parameter}"
        for route, name, namespace in routes()
        for parameter in parameters_of(route)
        if kind_for(route, name, namespace, parameter) is None
    ]
    assert unmapped == [], "add these to PATH_PARAMETERS in tests/test_scope_walk.py"


@pytest.mark.parametrize("role", ROLES)
def test_no_route_shows_or_changes_another_scope(scene, role):
    other = other_scope(scene, role)
    user = client_for(scene, role).user if role != "anonymous" else None
    problems = []
    for route, name, namespace in routes():
        parameters = parameters_of(route)
        kinds = {p: kind_for(route, name, namespace, p) for p in parameters}
        assert None not in kinds.values(), f"unmapped parameter in {route}"
        values = {p: value_for(k, route, other, user) for p, k in kinds.items()}
        if None in values.values():
            continue  # an admin page of a model no other town has a row of
        url = build_url(route, values)
        label = f"{role} {url} ({name or 'unnamed'})"

        # GET: nothing of the other scope.
        client = client_for(scene, role)  # logging in is audited: before the snapshot
        before = snapshot()
        before_audit = AuditRecord.objects.order_by("pk").values_list("pk", flat=True).last()
        # The admin site's own lookups are not ours to parse: no query string there.
        query = {} if url.startswith("/admin/") else query_for(other)
        response = client.get(url, query)
        body = b"" if response.streaming else response.content
        if response.status_code >= 500:
            problems.append(f"GET {label}: {response.status_code}")
        if parameters and role not in SEES_ALL and any(k in ID_KINDS for k in kinds.values()):
            if response.status_code not in (302, 400, 401, 403, 404, 405):
                problems.append(f"GET {label}: {response.status_code} for another scope's id")
        leaked = [n for n in other.hidden_names if n.encode() in body]
        if leaked:
            problems.append(f"GET {label}: shows {leaked}")
        after = snapshot()
        if role in SEES_ALL and name in ("dividends:run_export", "awards:run_export"):
            # An export of personal data is audited (the admin's own read), nothing else.
            added = AuditRecord.objects.filter(pk__gt=before_audit or 0).values_list(
                "action", flat=True
            )
            if all(action in ("dividend.export", "award.export") for action in added):
                after["accounts.AuditRecord"] = before["accounts.AuditRecord"]
        if role == "bank" and name in BANK_READ_ROUTES:
            # The bank's read is recorded (audit line, "last looked"), nothing else changes.
            added = AuditRecord.objects.filter(pk__gt=before_audit or 0)
            if all(record.action.startswith("bank.") for record in added):
                after["accounts.AuditRecord"] = before["accounts.AuditRecord"]
                after["banking.BankLookup"] = before["banking.BankLookup"]
        if changed := changed_tables(before, after):
            problems.append(f"GET {label}: changed {changed}")

        # POST: no change (the city admin: without a CSRF token, refused).
        client = client_for(scene, role, enforce_csrf_checks=role in SEES_ALL)
        before = snapshot()
        before_audit = AuditRecord.objects.count()
        response = client.post(url, form_for(other))
        if response.status_code >= 500:
            problems.append(f"POST {label}: {response.status_code}")
        if role in SEES_ALL and response.status_code != 403:
            problems.append(f"POST {label}: {response.status_code} without a CSRF token")
        body = b"" if response.streaming else response.content
        if leaked := [n for n in other.hidden_names if n.encode() in body]:
            problems.append(f"POST {label}: shows {leaked}")
        after = snapshot()
        if role in TOWN_ADMINS and name == "accounts:lockouts":
            # An address (the form's ip_address) is no town's: a town admin lifts its
            # lockout (audited), as the subdistrict admin did; no login of another town.
            added = AuditRecord.objects.order_by("pk")[before_audit:]
            if all(
                r.action == "auth.lockout_lifted" and r.details.get("ip_address") for r in added
            ):
                after["accounts.AuditRecord"] = before["accounts.AuditRecord"]
        if name in ("accounts:logout", "admin:logout") and role != "anonymous":
            # Logging oneself out is audited (auth.logout of the caller), nothing else.
            added = AuditRecord.objects.order_by("pk")[before_audit:]
            if [(r.action, r.actor_id) for r in added] == [("auth.logout", client.user.pk)]:
                after["accounts.AuditRecord"] = before["accounts.AuditRecord"]
        if changed := changed_tables(before, after):
            problems.append(f"POST {label}: changed {changed}")

        # An id above the largest bigint: refused, never a crash.
        huge = {
            p: (MAX_ID + 1 if k in ID_KINDS else value_for(k, route, other, user))
            for p, k in kinds.items()
        }
        huge_query = (
            {} if url.startswith("/admin/") else dict.fromkeys(query_for(other), MAX_ID + 1)
        )
        response = client_for(scene, role).get(build_url(route, huge), huge_query)
        if response.status_code >= 500:
            problems.append(
                f"GET {role} {build_url(route, huge)}?{huge_query}: {response.status_code}"
            )

    assert problems == [], "\n".join(problems)


# --- The supervisor's refusals in their own cooperative (issue 20, point 1) ------------------

# Routes that change a villager login. The supervisor may read the households of their own
# cooperative, and still may change none of their logins.
LOGIN_ROUTES = ["accounts:villager_password", "accounts:lockouts"]


def test_supervisor_changes_no_login_of_their_own_cooperative(scene):
    from django.urls import reverse

    from accounts.services import villager_password_issue

    login, _ = villager_password_issue(actor=scene.accountant_a, household=scene.a_east)
    client = client_for(scene, "supervisor_a")
    before = snapshot()
    for household in (scene.a_east, scene.a_west):  # with a login and without one
        url = reverse("accounts:villager_password", args=[household.pk])
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    lockouts = reverse("accounts:lockouts")
    assert client.get(lockouts).status_code == 403
    assert client.post(lockouts, {"username": login.username}).status_code == 403
    assert changed_tables(before, snapshot()) == []


# --- The bank's throttles (issue 20, point 2) ----------------------------------------------


@pytest.mark.parametrize("channel", ["page", "session", "basic", "token"])
def test_the_banks_lookup_is_throttled_on_every_channel(scene, settings, channel):
    import base64

    from banking.models import ApiToken
    from tests.conftest import PASSWORD

    settings.BANK_LOOKUP_RATE = "5/hour"
    settings.BANK_LOOKUP_MISSES = "100/day"
    client = Client()
    headers = {}
    if channel in ("page", "session"):
        client.force_login(scene.bank_officer)
    elif channel == "basic":
        credentials = f"{scene.bank_officer.username}:{PASSWORD}".encode()
        headers = {"HTTP_AUTHORIZATION": f"Basic {base64.b64encode(credentials).decode()}"}
    else:
        _, key = bank_services.api_token_create(
            name="walk", scope=ApiToken.Scope.BANK, bank=scene.bank_officer.bank, actor=scene.admin
        )
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    url = "/bank/lookup/" if channel == "page" else "/api/v1/bank/lookup/"
    query = {"id_number": scene.a_east.head_id_number}

    answers = [client.get(url, query, **headers) for _ in range(6)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert scene.a_east.head_name.encode() not in answers[-1].content
