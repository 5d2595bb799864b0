"""No formulas out, ever (issue 9, finding 8): every csv and xlsx the product writes.

A hostile value is stored in every text column of everything an export shows (register,
cooperative, village, share class, community, grid, standard, item, the accountant's
name); then every export is read back cell by cell:

- no xlsx cell is a formula (openpyxl `data_type != "f"`), text cells are strings;
- no text cell starts with = + - @ tab or CR (csv: a plain number such as -25 may);
- the cells that carry a stored value are that value exactly, with only the
  neutralising `'` in front when it starts with a formula character.
"""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import models
from django.urls import reverse

from accounts.models import User
from communities import services as scoring
from communities.services import Entry
from dividends import run_jobs, services
from dividends.exports import export_run, shares_summary
from dividends.models import DividendRun
from pinghu_points.exports import FORMULA_CHARS, neutralise, ooxml_unescape, restore
from tests import factories
from tests.communities.conftest import items, standard  # noqa: F401
from villages.models import mask_id_number, mask_name

YEAR = 2026
HOSTILE = [
    '=HYPERLINK("http://x","点我")',
    "==1+1",
    "=1+1",
    "@SUM(A1)",
    "-2+3",
    "+SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "<b>加粗</b><script>alert(1)</script>",
    "𠀀𠀁王",
]
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _put_hostile(obj, value, *names):
    """Store `value` (cut to each column's length) in the text columns `names`, bypassing
    validation as old data or a direct database edit would. Returns {name: stored}."""
    stored = {}
    for name in names:
        field = obj._meta.get_field(name)
        assert isinstance(field, models.CharField | models.TextField)
        stored[name] = value[: field.max_length] if field.max_length else value
    type(obj).objects.filter(pk=obj.pk).update(**stored)
    obj.refresh_from_db()
    return stored


@pytest.fixture(params=HOSTILE, ids=lambda value: repr(value)[:24])
def hostile(request, world, items, django_capture_on_commit_callbacks):  # noqa: F811
    value = request.param
    scoring.score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["clean"].pk,
                occurred_on=date(YEAR, 3, 10),
            )
        ],
        today=date(YEAR, 12, 31),
    )
    coop = world.coop_a
    stored = {
        "town": _put_hostile(coop.village.town, value, "code", "name"),
        "village": _put_hostile(coop.village, value, "code", "name"),
        "cooperative": _put_hostile(coop, value, "code", "name", "notice_contact"),
        "share_class": _put_hostile(coop.share_classes.get(), value, "code", "name"),
        "community": _put_hostile(world.east, value, "code", "name"),
        "grid": _put_hostile(world.grid_east, value, "code", "name", "leader_name", "leader_phone"),
        "household": _put_hostile(
            world.a_east,
            value,
            "number",
            "head_name",
            "head_id_number",
            "phone",
            "bank_name",
            "bank_account",
        ),
        "standard": _put_hostile(items["clean"].standard, value, "name", "theme"),
        "item": _put_hostile(items["clean"], value, "code", "name", "description"),
    }
    type(world.accountant_a).objects.filter(pk=world.accountant_a.pk).update(
        first_name=value[:150], last_name=""
    )
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=coop,
        year=YEAR,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return value, stored, run


def xlsx_cells(content):
    """Every cell of every sheet as text (what Excel shows), after checking its type."""
    rows = []
    for sheet in openpyxl.load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            texts = []
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (cell.coordinate, cell.value)
                    text = ooxml_unescape(cell.value)
                    assert not text.startswith(FORMULA_CHARS), (cell.coordinate, text)
                    texts.append(text)
                else:
                    texts.append(cell.value)
            rows.append(texts)
    return rows


def csv_cells(content):
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_CHARS) or PLAIN_NUMBER.fullmatch(cell), cell
    return rows


def cells_of(content, file_format):
    return xlsx_cells(content) if file_format == "xlsx" else csv_cells(content)


def row_of(rows, first):
    (row,) = [row for row in rows if row and row[0] == first]
    return row


def assert_restores_exactly(rows):
    """Taking the neutralising `'` away gives a value that needed it; nothing else moved."""
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and restore(cell) != cell:
                assert cell == "'" + restore(cell) and restore(cell).startswith(FORMULA_CHARS)


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_bank_list_has_no_formula_and_every_value_as_stored(hostile, file_format):
    value, stored, run = hostile
    household = stored["household"]

    rows = cells_of(export_run(run=run, kind="bank", file_format=file_format)[0], file_format)

    number = neutralise(household["number"])
    row = row_of(rows, number)
    assert row[:4] == [
        number,
        neutralise(household["head_name"]),
        neutralise(household["bank_name"]),
        neutralise(household["bank_account"]),  # never "1+1" for "=1+1"
    ]
    assert rows[0][0] == neutralise(f"{stored['cooperative']['name']}2026年度分红银行代发清单")
    assert any(f"（{stored['cooperative']['code']}）" in str(cell) for r in rows for cell in r)
    creator = value[:150].strip()  # get_full_name() strips
    assert any(f"制表：{creator}" in str(cell) for r in rows for cell in r)
    assert_restores_exactly(rows)


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_notice_has_no_formula_and_every_value_as_stored(hostile, file_format):
    value, stored, run = hostile
    household = stored["household"]
    share_class = stored["share_class"]["name"]

    rows = cells_of(export_run(run=run, kind="notice", file_format=file_format)[0], file_format)

    number = neutralise(household["number"])
    row = row_of(rows, number)
    assert row[:4] == [
        number,
        neutralise(mask_name(household["head_name"])),
        neutralise(mask_id_number(household["head_id_number"])),
        neutralise(shares_summary({share_class: "3"})),
    ]
    assert Decimal(str(row[4])) == 3  # a number, not text
    assert rows[0][0] == neutralise(f"{stored['cooperative']['name']}2026年度股权分红+善治积分公示")
    contact = stored["cooperative"]["notice_contact"]
    assert any(str(cell).endswith(f"联系人：{contact}") for r in rows for cell in r)
    assert_restores_exactly(rows)


def test_points_chart_csv_has_no_formula_and_every_value_as_stored(hostile, client, world):
    _value, stored, _run = hostile
    client.force_login(world.staff_east)

    response = client.get(
        reverse("communities:points_chart"), {"grid": world.grid_east.pk, "format": "csv"}
    )

    assert response.status_code == 200
    rows = csv_cells(response.content)
    number = neutralise(stored["household"]["number"])
    assert row_of(rows, number)[:4] == [
        number,
        neutralise(stored["household"]["head_name"]),
        neutralise(stored["cooperative"]["name"]),
        neutralise(stored["grid"]["name"]),
    ]
    assert_restores_exactly(rows)


ADMIN_DOWNLOADS = [
    ("villages", "village", "village"),
    ("villages", "cooperative", "cooperative"),
    ("villages", "shareclass", "share_class"),
    ("villages", "household", "household"),
    ("communities", "community", "community"),
    ("communities", "microgrid", "grid"),
    ("communities", "scoringitem", "item"),
]


def admin_download(client, app, model, file_format):
    url = reverse(f"admin:{app}_{model}_export")
    form = client.get(url).context["form"]
    (choice,) = [key for key, label in form.fields["format"].choices if label == file_format]
    data = {name: "on" for name in form.fields if "resource_" in name}
    response = client.post(url, {**data, "format": choice, "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize(("app", "model", "key"), ADMIN_DOWNLOADS)
def test_admin_downloads_have_no_formula_and_every_value_as_stored(
    hostile, admin_client, app, model, key, file_format
):
    _value, stored, _run = hostile

    rows = cells_of(admin_download(admin_client, app, model, file_format), file_format)

    cells = {cell for row in rows for cell in row if isinstance(cell, str)}
    for column, value in stored[key].items():
        if key == "household" and column in ("head_id_number", "phone", "bank_account"):
            continue  # masked in the register download; the mask is checked below
        assert neutralise(value) in cells, (column, value)
    if key == "household":
        assert neutralise(mask_id_number(stored[key]["head_id_number"])) in cells
    assert_restores_exactly(rows)


def test_admin_downloads_offer_only_csv_and_our_xlsx(admin_client):
    form = admin_client.get(reverse("admin:villages_household_export")).context["form"]

    assert [label for key, label in form.fields["format"].choices if key != ""] == [
        "csv",
        "xlsx",
    ]


def test_admin_reimport_of_a_download_gets_the_stored_value_back(world):
    """The `'` in front is taken away again on the admin's import: round trip exact."""
    from communities.resources import CommunityResource

    _put_hostile(world.east, "=1+1", "name")
    dataset = CommunityResource().export()
    assert "'=1+1" in dataset["name"]

    result = CommunityResource().import_data(dataset, dry_run=False, raise_errors=True)

    assert not result.has_errors()
    world.east.refresh_from_db()
    assert world.east.name == "=1+1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1", "'=1"),
        ("a=1", "a=1"),
        ("王=1", "王=1"),
        ("", ""),
        (Decimal("-3.5"), Decimal("-3.5")),
        (None, None),
    ],
)
def test_neutralise_prefixes_only_formula_starts(value, expected):
    assert neutralise(value) == expected


# --- Every download of the product, found from the URL resolver (issue 21, point 4) -------
#
# Each URL name of the product is either a download (below, with the test that reads it
# back) or a page. A new URL must be put in one of the two lists, so a new download
# cannot escape these checks; a page that starts answering ?format=xlsx or csv with a file
# is caught by `test_no_page_answers_with_a_file`.

YEAR_QUERY = {"year": YEAR}


def _overview(name, **query):
    def fetch(client, world):
        client.force_login(world.admin)
        return client.get(reverse(name), {**YEAR_QUERY, "format": "xlsx", **query})

    return fetch


def _honor_roll(client, world):
    client.force_login(world.admin)
    query = {"year": YEAR, "month": 3, "community": world.east.pk, "format": "xlsx"}
    return client.get(reverse("overview:honor_roll"), query)


def _audit(client, world):
    client.force_login(world.admin)
    return client.get(reverse("accounts:audit_list"), {"format": "xlsx"})


def _bank_list(client, world):
    from banking import services as banking

    banking.consent_give(
        household=world.a_east, bank=world.bank_officer.bank, actor=world.villager_a
    )
    client.force_login(world.bank_officer)
    return client.get(reverse("banking:export"))


def _register_sample(client, world):
    client.force_login(world.accountant_a)
    return client.get(reverse("villages:household_import_sample"))


def _town_sample(client, world):
    # Setting up a town is the city's (may_set_up_towns).
    client.force_login(factories.user(role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True))
    return client.get(reverse("villages:town_import_sample"))


def _run_export(client, world):
    client.force_login(world.accountant_a)
    run = DividendRun.objects.get(cooperative=world.coop_a, year=YEAR)
    return client.get(reverse("dividends:run_export", args=[run.pk, "bank", "xlsx"]))


def _award_export(client, world):
    from awards import services as awards
    from communities.models import ScoreEvent

    event = ScoreEvent.objects.filter(household=world.a_east).select_related("item").first()
    run = awards.award_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        name="三月环境奖励",
        period_kind="month",
        year=YEAR,
        period_number=3,  # the hostile events are of March
        pool=Decimal("1000.00"),
        item_codes=[event.item.code],
    )
    run = awards.award_run_compute(run_id=run.pk)
    client.force_login(world.accountant_a)
    return client.get(reverse("awards:run_export", args=[run.pk, "bank", "xlsx"]))


def _points_chart(client, world):
    client.force_login(world.staff_east)
    return client.get(
        reverse("communities:points_chart"), {"grid": world.grid_east.pk, "format": "csv"}
    )


def _rectification_export(client, world):
    from communities.models import ScoringItem

    item = ScoringItem.objects.get(code="HJ11")  # 乱堆乱放, made rectifiable here
    item.rectify_days, item.rectify_refund_percent = 7, 50
    item.save()
    scoring.score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(household_id=world.a_east.pk, item_id=item.pk, occurred_on=date(YEAR, 3, 11))
        ],
        today=date(YEAR, 12, 31),
    )
    client.force_login(world.staff_east)
    return client.get(reverse("communities:rectification_export"), YEAR_QUERY)


# url name: (how to fetch it with the `hostile` world, which stored value group must show)
DOWNLOADS = {
    "overview:matrix": (_overview("overview:matrix"), ("village", "name")),
    "overview:statistics": (_overview("overview:statistics"), ("item", "name")),
    "overview:honor_roll": (_honor_roll, ("household", "head_name")),
    "overview:cooperatives": (_overview("overview:cooperatives"), ("cooperative", "name")),
    "overview:towns": (_overview("overview:towns"), ("town", "name")),
    "accounts:audit_list": (_audit, None),
    "banking:export": (_bank_list, ("household", "head_name")),
    "villages:household_import_sample": (_register_sample, None),
    "villages:town_import_sample": (_town_sample, None),
    "dividends:run_export": (_run_export, ("household", "head_name")),
    "communities:points_chart": (_points_chart, ("household", "head_name")),
    "awards:run_export": (_award_export, ("household", "head_name")),
    "communities:rectification_export": (_rectification_export, ("household", "head_name")),
}
# Downloads read back by their own tests in this module or beside it.
DOWNLOADS_TESTED_ELSEWHERE = {
    # Every cell a string cell, never a formula, but quoted as the uploaded file had it
    # (`pinghu_points.spreadsheets.error_report_xlsx`):
    # tests/villages/test_import_limits.py::test_the_error_report_never_turns_text_into_a_formula
    "villages:import_job_errors",
    # tests/matters/test_views.py::test_the_download_is_scoped_and_formula_safe
    "matters:export",
    # test_admin_downloads_have_no_formula_and_every_value_as_stored (ADMIN_DOWNLOADS)
    *(f"admin:{app}_{model}_export" for app, model, _key in ADMIN_DOWNLOADS),
}
PAGES = {
    "home", "healthz", "set_language", "private_file",
    "awards:run_list", "awards:run_create", "awards:run_detail", "awards:run_progress",
    "awards:run_approve", "awards:run_recompute", "awards:run_retry", "awards:notice",
    "matters:list", "matters:detail", "matters:new", "matters:mine",
    "matters:board", "matters:board_public", "matters:leaders",
    "communities:review_veto", "communities:rectification_list",
    "communities:rectification_inspect",
    "accounts:login", "accounts:logout", "accounts:password_change",
    "accounts:villager_password", "accounts:lockouts",
    "villages:household_list", "villages:household_detail", "villages:share_transfer",
    "villages:household_import", "villages:import_job", "villages:import_job_progress",
    "villages:import_job_retry", "villages:town_import",
    "communities:batch_entry", "communities:household_points", "communities:event_reverse",
    "communities:review_queue", "communities:month_list", "communities:month_close",
    "communities:door", "communities:door_data", "communities:door_household",
    "communities:door_sync", "communities:door_month", "communities:door_sw",
    "communities:door_manifest", "communities:score_event_import",
    "matters:door_records_data", "matters:door_records_sync",
    "card:mine", "card:print", "card:household",
    "dividends:run_list", "dividends:run_create", "dividends:pools_preview",
    "dividends:run_detail", "dividends:run_progress", "dividends:run_approve",
    "dividends:run_recompute", "dividends:run_retry", "dividends:run_lines",
    "dividends:notice", "dividends:run_mark_paid", "dividends:notice_public",
    "dividends:statement",
    "appeals:list", "appeals:detail", "appeals:file_event", "appeals:file_line",
    "overview:matrix_cell", "overview:honor_roll_setting",
    "banking:home", "banking:lookup", "banking:desk", "banking:consent_withdraw",
}  # fmt: skip


def _product_url_names():
    """Every named URL of the product: not the admin's own views (its downloads, the
    `_export` ones, are kept) and not the JSON API (`api/`, answers JSON only)."""
    from django.urls import URLResolver, get_resolver

    names = set()

    def walk(resolver, namespace, route):
        for pattern in resolver.url_patterns:
            here = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                walk(
                    pattern,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                    here,
                )
            elif pattern.name and not here.lstrip("^").startswith("api/"):
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), None, "")
    return {name for name in names if not name.startswith("admin:") or name.endswith("_export")}


def test_every_url_is_a_download_read_back_or_a_page():
    names = _product_url_names()
    known = set(DOWNLOADS) | DOWNLOADS_TESTED_ELSEWHERE | PAGES
    assert names - known == set(), "a new URL: add it to DOWNLOADS (with a test) or PAGES"
    assert known - names == set(), "a URL that is gone: take it out of the lists"


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_every_download_has_no_formula_and_shows_the_stored_value(hostile, client, world, name):
    _value, stored, _run = hostile
    fetch, expected = DOWNLOADS[name]

    response = fetch(client, world)

    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    file_format = "csv" if response["Content-Type"].startswith("text/csv") else "xlsx"
    rows = cells_of(content, file_format)
    if expected is not None:
        group, column = expected
        cells = {cell for row in rows for cell in row if isinstance(cell, str)}
        assert neutralise(stored[group][column]) in cells, (name, stored[group][column])
    assert_restores_exactly(rows)


@pytest.mark.django_db
def test_no_page_answers_with_a_file(world, admin_client):
    """The pages without arguments, asked for ?format=xlsx and csv as the admin: a page."""
    from django.urls import NoReverseMatch

    for name in sorted(PAGES):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # needs an id; its view is read in DOWNLOADS or is a page by its URL
        for file_format in ("xlsx", "csv"):
            response = admin_client.get(url, {"format": file_format})
            disposition = response.get("Content-Disposition", "")
            assert "attachment" not in disposition, (name, file_format)
