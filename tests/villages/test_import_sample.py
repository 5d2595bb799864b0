"""The import page's sample register: made for the user's cooperative, it imports unchanged.

On the demo (`seed_demo`) the sample is downloaded and uploaded as it is through the import
page, as an accountant would, and every household must be there afterwards with the
sample's values. Then the scope of the download, and the choices the generator makes on a
small world (labels the import matches, numbers and ID numbers nobody has).
"""

import io
from decimal import Decimal
from io import StringIO
from urllib.parse import unquote

import openpyxl
import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from communities.models import Community, MicroGrid
from pinghu_points.parameters import MAX_ID
from tests import factories
from tests.conftest import seeded_once
from villages import demo as villages_demo
from villages.idnumbers import is_valid_id_number
from villages.importing import community_lookup, micro_grid_lookup
from villages.models import Cooperative, Household, Member, ShareClass, ShareMovement
from villages.samples import register_sample

SAMPLE_URL = reverse("villages:household_import_sample")
IMPORT_URL = reverse("villages:household_import")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def demo_cooperatives():
    return {
        "tongjie": Cooperative.objects.get(code="TONGJIE"),
        "nanhetou": Cooperative.objects.get(code="NANHETOU"),
    }


def _seed_demo():
    """The demo as `manage.py seed_demo --small` leaves it (points, dividends, the bank too)."""
    call_command("seed_demo", "--small", stdout=StringIO())


def _seed_demo_register():
    """Only the demo's register and logins (villages.demo), ten times faster."""
    villages_demo.seed_demo(
        households_per_cooperative=villages_demo.SMALL_HOUSEHOLDS_PER_COOPERATIVE
    )


# Seeded once per class (issue 21, point 7): every test of the class rolls back its own.
demo_seeded = seeded_once(_seed_demo, scope="class")
demo_register_seeded = seeded_once(_seed_demo_register, scope="class")


@pytest.fixture
def demo(demo_seeded, db):
    return demo_cooperatives()


@pytest.fixture
def demo_register(demo_register_seeded, db):
    return demo_cooperatives()


def download(client, cooperative=None):
    """The sample's bytes, its file name and its rows as {header: value}."""
    query = {} if cooperative is None else {"cooperative": cooperative.pk}
    response = client.get(SAMPLE_URL, query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    return content, response, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def upload(client, cooperative, content, url=IMPORT_URL):
    """Post the file unchanged, as the page's form does; return the response."""
    file = SimpleUploadedFile("样例.xlsx", content, content_type=XLSX)
    return client.post(url, {"cooperative": cooperative.pk, "file": file})


def text(value):
    return "" if value is None else str(value)


def assert_registered(cooperative, rows):
    """Every row of the sample is a household of `cooperative` with exactly its values."""
    classes = {share_class.name: share_class for share_class in cooperative.share_classes.all()}
    communities, grids = community_lookup(), micro_grid_lookup()
    for row in rows:
        household = Household.objects.get(cooperative=cooperative, number=row["户号"])
        assert household.head_name == row["户主姓名"]
        assert household.head_id_number == row["身份证号"]
        assert household.phone == text(row["联系电话"])
        assert household.community == communities[row["居住社区"]]
        if row["微网格"]:
            assert household.micro_grid == grids[(household.community_id, row["微网格"])]
        else:
            assert household.micro_grid is None
        assert household.bank_name == text(row["开户行"])
        assert household.bank_account == text(row["银行账号"])
        head = Member.objects.get(household=household)
        assert (head.is_head, head.name, head.id_number) == (True, row["户主姓名"], row["身份证号"])
        issued = {
            movement.share_class.name: movement.quantity
            for movement in ShareMovement.objects.filter(household=household)
        }
        expected = {
            name: Decimal(str(row[name])) for name in classes if row[name] not in (None, "", 0)
        }
        assert issued == expected


def assert_imports(client, cooperative, content, rows, url=IMPORT_URL, success_url=None):
    before = Household.objects.filter(cooperative=cooperative).count()
    response = upload(client, cooperative, content, url=url)
    errors = response.context.get("import_errors") if response.context else None
    assert "preview_job" in response.context, errors or response.context["form"].errors
    preview = response.context["preview_job"].result
    # The preview says what it adds and that these are made-up households; nothing yet.
    assert preview["households"] == len(rows) and preview["sample"] is True
    assert "虚构的股东户" in response.content.decode()
    assert Household.objects.filter(cooperative=cooperative).count() == before
    response = client.post(
        url, {"preview_job": response.context["preview_job"].pk, "confirm": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(success_url or "villages:household_list")
    assert (
        f"已导入 {len(rows)} 户股东户" in [str(m) for m in get_messages(response.wsgi_request)][0]
    )
    assert Household.objects.filter(cooperative=cooperative).count() == before + len(rows)
    assert_registered(cooperative, rows)


# --- on the demo: download, upload unchanged, imported ---------------------------------------


class TestOnTheDemo:
    def test_the_demo_accountants_sample_imports_unchanged(self, demo, client):
        tongjie = demo["tongjie"]
        client.force_login(User.objects.get(username="accountant_tongjie"))
        # The page links to the sample and no longer asks to edit it first.
        page = client.get(IMPORT_URL)
        assert SAMPLE_URL in page.content.decode() and "不用修改就能导入" in page.content.decode()

        content, response, rows = download(client)  # no choice: the accountant's cooperative
        assert "通界村股份经济合作社_股东名册样例.xlsx" in unquote(response["Content-Disposition"])
        assert len(rows) == 10
        assert list(rows[0]) == [
            "户号", "户主姓名", "身份证号", "联系电话", "居住社区", "微网格",
            *tongjie.share_classes.order_by("pk").values_list("name", flat=True),
            "开户行", "银行账号",
        ]  # fmt: skip
        taken = set(tongjie.households.values_list("number", flat=True))
        assert not taken & {row["户号"] for row in rows}
        # The demo numbers its households 0001 …: the sample goes on from the highest.
        assert [row["户号"] for row in rows] == [
            f"{n:04d}" for n in range(len(taken) + 1, len(taken) + 11)
        ]
        assert all(is_valid_id_number(row["身份证号"]) for row in rows)
        # Tongjie's households all live with its village committee: the sample lives there too.
        assert {row["居住社区"] for row in rows} == {"通界村村民委员会"}

        assert_imports(client, tongjie, content, rows)

    def test_the_admins_sample_imports_on_the_page_and_in_the_admin(self, demo, client):
        """The admin manages every cooperative: the sample is the chosen one's."""
        nanhetou = demo["nanhetou"]
        client.force_login(User.objects.get(username="admin"))
        content, response, rows = download(client, nanhetou)
        assert "attachment" in response["Content-Disposition"]
        # A dissolved village: its households live in urban communities, the sample in two of them.
        communities = {row["居住社区"] for row in rows}
        assert len(communities) == 2
        lived_in = set(nanhetou.households.values_list("community__name", flat=True))
        assert communities <= lived_in
        assert any(row["微网格"] for row in rows) and any(not row["微网格"] for row in rows)
        assert_imports(client, nanhetou, content, rows)

        # The admin site's import page: the next sample, the same form and service.
        content, _response, rows = download(client, nanhetou)
        assert_imports(
            client,
            nanhetou,
            content,
            rows,
            url=reverse("admin:villages_household_import_register"),
            success_url="admin:villages_household_changelist",
        )
        # Without a choice: the first cooperative the admin manages.
        first = Cooperative.objects.order_by("code").first()
        assert first.name in unquote(download(client)[1]["Content-Disposition"])


class TestOnTheDemoRegister:
    def test_two_downloads_agree_and_after_an_import_the_next_sample_imports_too(
        self, demo_register, client
    ):
        tongjie = demo_register["tongjie"]
        client.force_login(User.objects.get(username="accountant_tongjie"))
        first_content, _response, first = download(client)
        _content, _response, again = download(client, tongjie)
        assert again == first  # nothing imported in between: the same numbers and people

        assert_imports(client, tongjie, first_content, first)

        content, _response, later = download(client)
        numbers = [row["户号"] for row in later]
        assert not set(numbers) & {row["户号"] for row in first}
        assert not set(numbers) & set(
            tongjie.households.exclude(number__in=[row["户号"] for row in first]).values_list(
                "number", flat=True
            )
        )
        # New heads' ID numbers too: none of them is registered by the first import.
        assert not {row["身份证号"] for row in later} & {row["身份证号"] for row in first}
        assert_imports(client, tongjie, content, later)

        # The first file again: refused as a whole (its numbers are taken now), nothing saved.
        before = Household.objects.count()
        response = upload(client, tongjie, first_content)
        assert response.status_code == 200
        assert response.context["import_error_count"] == 10
        assert Household.objects.count() == before

    def test_the_sample_is_small_with_a_bold_frozen_header_and_text_identifiers(
        self, demo_register, client
    ):
        client.force_login(User.objects.get(username="accountant_tongjie"))
        content, _response, _rows = download(client)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        assert sheet.max_row == 11
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        header = [cell.value for cell in sheet[1]]
        for name in ("户号", "身份证号", "联系电话", "银行账号"):
            cells = [row[header.index(name)] for row in sheet.iter_rows(min_row=2)]
            # Strings, and formatted as text so that a number typed over them stays text.
            assert all(cell.number_format == "@" for cell in cells)
            assert all(cell.data_type == "s" for cell in cells if cell.value is not None)
        for name in ("人口股", "农龄股"):
            values = [row[header.index(name)].value for row in sheet.iter_rows(min_row=2)]
            assert all(value is None or isinstance(value, int | float) for value in values)

    def test_an_accountant_gets_no_other_cooperatives_sample(self, demo_register, client):
        client.force_login(User.objects.get(username="accountant_tongjie"))
        for asked in (demo_register["nanhetou"].pk, "abc", "-1", "0", MAX_ID + 1):
            assert client.get(SAMPLE_URL, {"cooperative": asked}).status_code == 404, asked
        assert (
            client.get(SAMPLE_URL, {"cooperative": demo_register["tongjie"].pk}).status_code == 200
        )

    def test_who_cannot_import_gets_no_sample(self, demo_register, client):
        """Refused as the import page refuses them: a villager, the bank, staff, the supervisor."""
        for username in ("TONGJIE-0001", "bank_phrcb", "staff_donghu", "supervisor_tongjie"):
            client.force_login(User.objects.get(username=username))
            assert client.get(IMPORT_URL).status_code == 403, username
            assert client.get(SAMPLE_URL).status_code == 403, username
            query = {"cooperative": demo_register["tongjie"].pk}
            assert client.get(SAMPLE_URL, query).status_code == 403, username


# --- scope -----------------------------------------------------------------------------------


def test_the_sample_needs_a_login(client, db):
    response = client.get(SAMPLE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- what the generator chooses (a small world) ----------------------------------------------


def sample_rows(cooperative):
    sample = register_sample(cooperative)
    headers = sample.sheet.headers
    return [dict(zip(headers, row, strict=True)) for row in sample.sheet.rows]


def test_names_the_import_would_not_match_are_written_as_codes(world):
    # Another community whose CODE is 东湖社区: the import reads "东湖社区" as that one.
    factories.community(code="东湖社区", name="别的社区")
    # Two grids named 东一网格 in 东湖社区: the name is ambiguous, the code is not.
    factories.micro_grid(community_=world.east, code="E2", name="东一网格")
    labels = {(row["居住社区"], row["微网格"]) for row in sample_rows(world.coop_a)}
    assert {community for community, _grid in labels} == {"EAST", "西湖社区"}
    assert {grid for _community, grid in labels} == {"E1", "E2", "西一网格", None}


def test_numbers_follow_the_highest_and_ids_skip_registered_ones(world):
    factories.household(cooperative_=world.coop_a, community_=world.east, number="00041")
    factories.household(cooperative_=world.coop_a, community_=world.east, number="00043")
    rows = sample_rows(world.coop_a)
    # After 00041 and 00043 (A001/A002 are not numbers): 00044 …, five digits like the highest.
    assert [row["户号"] for row in rows] == [f"{n:05d}" for n in range(44, 54)]
    # The first head's ID number, once registered elsewhere, is not offered again.
    taken = rows[0]["身份证号"]
    factories.household(
        cooperative_=world.coop_b, community_=world.west, number="X1", head_id_number=taken
    )
    again = sample_rows(world.coop_a)
    assert again[0]["户号"] == rows[0]["户号"] and again[0]["身份证号"] != taken
    assert is_valid_id_number(again[0]["身份证号"])
    assert len({row["身份证号"] for row in again}) == 10


def test_every_share_class_of_the_cooperative_is_a_column(world, client):
    ShareClass.objects.create(cooperative=world.coop_a, code="JT", name="集体股", weight="1")
    rows = sample_rows(world.coop_a)
    assert {"人口股", "集体股"} <= set(rows[0]) and "农龄股" not in rows[0]
    client.force_login(world.accountant_a)
    content, _response, downloaded = download(client)
    assert_imports(client, world.coop_a, content, downloaded)


def test_a_cooperative_without_households_lives_in_the_existing_communities(world, client):
    coop = factories.cooperative(code="COOPC", name="丙村股份经济合作社")
    rows = sample_rows(coop)
    assert [row["户号"] for row in rows][:2] == ["0001", "0002"]
    assert {row["居住社区"] for row in rows} == {"东湖社区", "西湖社区"}
    client.force_login(world.admin)
    content, _response, downloaded = download(client, coop)
    assert_imports(client, coop, content, downloaded)


def test_without_any_community_the_generic_file_is_served(db, client):
    coop = factories.cooperative(code="LONE", name="孤村股份经济合作社")
    assert not Community.objects.exists() and not MicroGrid.objects.exists()
    client.force_login(factories.user(username="acc", role=User.Role.ACCOUNTANT, cooperative_=coop))
    response = client.get(SAMPLE_URL)
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    assert served == (settings.BASE_DIR / "docs" / "samples" / "households.xlsx").read_bytes()
