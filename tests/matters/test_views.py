"""The matters pages from the outside: the six steps through the forms, refusals with
their message, scope as the wrong user, the download, the card and the to-do lists."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from matters import services
from matters.models import Matter
from tests import factories

from .conftest import due

DETAIL = "matters:detail"


def url(name, *args):
    return reverse(name, args=args)


def post_step(client, matter, step, **fields):
    data = {"step": step, **{f"{step}-{key}": value for key, value in fields.items()}}
    return client.post(url(DETAIL, matter.pk), data)


def test_a_matter_through_all_six_steps_on_the_pages(world, leader, client):
    client.force_login(world.villager_a)
    response = client.post(
        url("matters:new"),
        {"text": "坟浜河岸杂草丛生", "place": "坟浜", "photo": factories.photo()},
    )
    matter = Matter.objects.get()
    assert response.status_code == 302 and response["Location"] == url(DETAIL, matter.pk)
    assert matter.micro_grid == world.grid_east and matter.photo

    client.force_login(leader)
    page = client.get(url(DETAIL, matter.pk)).content.decode()
    assert 'id="step-assess"' in page and 'id="step-assign"' not in page
    assert post_step(client, matter, "assess", decision="accepted", reason="").status_code == 302
    response = post_step(
        client,
        matter,
        "assign",
        community=world.east.pk,
        office="",
        due_on=due().isoformat(),
        note="",
    )
    assert response.status_code == 302
    client.force_login(world.staff_east)
    assert post_step(client, matter, "handle", note="已派保洁队").status_code == 302
    client.force_login(leader)
    assert post_step(client, matter, "track", note="现场在施工").status_code == 302
    client.force_login(world.staff_east)
    assert post_step(client, matter, "report", result="河岸已清理加固").status_code == 302

    client.force_login(world.villager_a)
    page = client.get(url(DETAIL, matter.pk)).content.decode()
    assert "河岸已清理加固" in page and 'id="step-verdict"' in page
    assert "staff_east" not in page and "leader_east" not in page  # no staff names
    assert post_step(client, matter, "verdict", solved="yes", note="").status_code == 302
    matter.refresh_from_db()
    assert matter.state == Matter.State.REPORTED and matter.solved is True
    assert [s.step for s in matter.steps.all()] == [
        "collect",
        "assess",
        "assign",
        "handle",
        "track",
        "feedback",
        "feedback",
    ]
    card = client.get(reverse("card:mine")).content.decode()
    assert 'id="pc-matters"' in card and "已解决" in card


def test_declined_and_merged_on_the_pages(world, leader, raised, client):
    other = services.matter_record(actor=leader, micro_grid=world.grid_east, text="河岸塌方")
    client.force_login(leader)
    response = post_step(client, raised, "assess", decision="declined", reason="")
    assert response.status_code == 400 and "不予受理须写明理由" in response.content.decode()
    assert (
        post_step(client, raised, "assess", decision="declined", reason="属私人承包地").status_code
        == 302
    )
    assert (
        post_step(client, other, "assess", decision="merged", merge_into=raised.pk).status_code
        == 400
    )
    third = services.matter_record(actor=leader, micro_grid=world.grid_east, text="又一件")
    assert (
        post_step(
            client, third, "assess", decision="merged", merge_into=other.pk, reason=""
        ).status_code
        == 302
    )
    third.refresh_from_db()
    assert third.state == Matter.State.MERGED and third.merged_into == other
    client.force_login(world.villager_a)
    page = client.get(reverse("matters:mine")).content.decode()
    assert "属私人承包地" in page and f"与 #{other.pk} 合并办理" in page


def test_an_invalid_transition_is_refused_with_its_message(world, raised, client):
    client.force_login(world.staff_east)
    response = post_step(
        client,
        raised,
        "assign",
        community=world.east.pk,
        office="",
        due_on=due().isoformat(),
        note="",
    )
    assert response.status_code == 400
    assert "这件事现在是「待研判」，不能交办。" in response.content.decode()
    response = post_step(client, raised, "report", result="好了")
    assert response.status_code == 400
    raised.refresh_from_db()
    assert raised.state == Matter.State.COLLECTED and raised.steps.count() == 1


def test_the_villager_cannot_assess_their_own_matter(world, raised, client):
    client.force_login(world.villager_a)
    response = post_step(client, raised, "assess", decision="accepted", reason="")
    assert response.status_code == 403 and "这件事不由您研判" in response.content.decode()
    raised.refresh_from_db()
    assert raised.state == Matter.State.COLLECTED


def test_another_scopes_matter_is_404_on_every_page(world, leader, raised, client):
    photo_matter = services.matter_record(
        actor=world.villager_a, text="有照片", photo=factories.photo()
    )
    for user in (
        world.staff_west,
        world.villager_b,
        world.accountant_a,
        world.supervisor_a,
        world.bank_officer,
    ):
        client.force_login(user)
        assert client.get(url(DETAIL, raised.pk)).status_code == 404, user
        assert (
            post_step(client, raised, "assess", decision="accepted", reason="").status_code == 404
        )
        assert client.get(photo_matter.photo.url).status_code == 404, user
    raised.refresh_from_db()
    assert raised.state == Matter.State.COLLECTED
    for user in (world.villager_a, leader, world.staff_east, world.admin):
        client.force_login(user)
        assert client.get(url(DETAIL, raised.pk)).status_code == 200, user
        assert client.get(photo_matter.photo.url).status_code == 200, user


@pytest.mark.parametrize("name", ["matters:list", "matters:new", "matters:export"])
def test_desk_pages_refuse_roles_without_matters(world, client, name):
    assert client.get(url(name)).status_code == 302  # anonymous: to the login page
    for user in (world.accountant_a, world.supervisor_a, world.bank_officer):
        client.force_login(user)
        assert client.get(url(name)).status_code == 403, user


def test_a_villager_is_sent_to_their_own_page_and_never_gets_the_download(world, client):
    client.force_login(world.villager_a)
    assert client.get(url("matters:list"))["Location"] == url("matters:mine")
    assert client.get(url("matters:export")).status_code == 403
    client.force_login(world.staff_east)
    assert client.get(url("matters:mine"))["Location"] == url("matters:list")


def test_the_grids_public_list_names_nobody(world, leader, client):
    services.matter_record(
        actor=leader, micro_grid=world.grid_east, household=world.b_east, text="垃圾桶满了"
    )
    services.matter_record(actor=world.villager_b, text="西边路灯坏了")
    client.force_login(world.villager_a)
    page = client.get(url("matters:mine")).content.decode()
    assert "垃圾桶满了" in page
    assert world.b_east.head_name not in page and world.b_east.number not in page
    assert "西边路灯坏了" not in page  # another grid's


def test_staff_record_for_a_household_of_their_grid(world, leader, client):
    client.force_login(leader)
    form = client.get(url("matters:new"), {"household": world.b_east.pk}).content.decode()
    assert 'value="B001"' in form
    response = client.post(
        url("matters:new"),
        {
            "grid": world.grid_east.pk,
            "household_number": "B001",
            "text": "门口水沟堵了",
            "place": "",
        },
    )
    assert response.status_code == 302
    assert Matter.objects.get().household == world.b_east
    # Another grid's household, or another grid: refused, nothing recorded.
    response = client.post(
        url("matters:new"),
        {"grid": world.grid_east.pk, "household_number": "A002", "text": "x", "place": ""},
    )
    assert "没有户号为 A002" in response.content.decode()
    response = client.post(
        url("matters:new"), {"grid": world.grid_west.pk, "text": "x", "place": ""}
    )
    assert response.status_code == 200 and Matter.objects.count() == 1


def read_sheet(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_download_is_scoped_and_formula_safe(world, client):
    hostile = '=HYPERLINK("http://evil.example","点我")'
    east = services.matter_record(actor=world.villager_a, text=hostile, place="+1+2")
    services.matter_record(actor=world.villager_b, text="@SUM(1,2)", place="-西边")
    client.force_login(world.staff_east)
    response = client.get(url("matters:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_sheet(response.content)
    header_at = next(i for i, row in enumerate(rows) if row[0] == "编号")
    data = rows[header_at + 1 :]
    assert [row[0] for row in data] == [east.pk]
    assert data[0][4] == "'" + hostile and data[0][3] == "'+1+2"
    assert data[0][6] == world.a_east.head_name
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    for row in workbook.active.iter_rows(min_row=header_at + 2):
        assert all(cell.data_type != "f" for cell in row)
    client.force_login(world.admin)
    rows = read_sheet(client.get(url("matters:export")).content)
    assert "'@SUM(1,2)" in [cell for row in rows for cell in row]


def test_overdue_matters_are_on_the_to_do_lists(world, leader, raised, client):
    services.matter_assess(actor=leader, matter=raised, decision="accepted")
    services.matter_assign(actor=leader, matter=raised, community=world.west, due_on=due())
    # Time passes: the due date is three days ago.
    Matter.objects.filter(pk=raised.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    for user, marker in (
        (world.staff_west, 'id="todo-overdue-matters"'),
        (leader, 'id="todo-overdue-matters"'),
        (world.admin, 'id="todo-overdue-matters-admin"'),
    ):
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        item = page[page.index(marker) :][:600]
        assert "超期 3 天" in item and '<span class="todo-count">1</span>' in item, user
        listing = client.get(url("matters:list"), {"show": "overdue"}).content.decode()
        assert f"#{raised.pk}</strong>" in listing and "已逾期" in listing
    north = factories.community(code="NORTH", name="北湖社区")
    client.force_login(factories.user(role="community_staff", communities=[north]))
    page = client.get(reverse("home")).content.decode()
    item = page[page.index('id="todo-overdue-matters"') :][:600]
    assert '<span class="todo-count is-zero">0</span>' in item


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_column_of_the_download_is_kept_as_text(world, client, start):
    from pinghu_points.exports import neutralise, ooxml_unescape

    matter = services.matter_record(
        actor=world.villager_a, text=f"{start}1+1 河岸", place=f"{start}桥头"
    )
    services.matter_assess(actor=world.staff_east, matter=matter, decision="accepted")
    services.matter_assign(
        actor=world.staff_east, matter=matter, office=f"{start}城建办", due_on=due()
    )
    services.matter_progress(actor=world.staff_east, matter=matter, note="x")
    services.matter_report_back(actor=world.staff_east, matter=matter, result=f"{start}已修好")
    declined = services.matter_record(actor=world.villager_a, text="另一件")
    services.matter_assess(
        actor=world.staff_east, matter=declined, decision="declined", reason=f"{start}不归我们"
    )
    client.force_login(world.staff_east)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url("matters:export")).content))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    values = {ooxml_unescape(cell.value) for cell in cells if isinstance(cell.value, str)}
    matter.refresh_from_db()
    declined.refresh_from_db()
    # Stored as typed (a leading tab or CR is trimmed like any white space), written
    # with the neutralising quote when it starts with a formula character.
    stored = [matter.text, matter.place, matter.assignee_office, matter.result]
    for value in [*stored, declined.decline_reason]:
        assert neutralise(value) in values, value


def test_the_door_month_and_the_household_page_lead_to_the_raise_form(world, leader, client):
    client.force_login(world.staff_east)
    month = client.get(reverse("communities:door_month"), {"grid": world.grid_east.pk})
    assert f'href="/matters/new/?grid={world.grid_east.pk}"' in month.content.decode()
    points = client.get(reverse("communities:household_points", args=[world.b_east.pk]))
    assert f'href="/matters/new/?household={world.b_east.pk}"' in points.content.decode()
    form = client.get(url("matters:new"), {"grid": world.grid_east.pk}).content.decode()
    assert f'<option value="{world.grid_east.pk}" selected>' in form


def test_a_villager_sees_the_merge_without_a_link_to_a_neighbours_matter(world, leader, client):
    neighbour = services.matter_record(
        actor=leader, micro_grid=world.grid_east, household=world.b_east, text="河岸塌方"
    )
    own = services.matter_record(actor=world.villager_a, text="坟浜岸坡塌了")
    services.matter_assess(actor=leader, matter=own, decision="merged", merge_into=neighbour)
    client.force_login(world.villager_a)
    page = client.get(url(DETAIL, own.pk)).content.decode()
    assert f"#{neighbour.pk}" in page and url(DETAIL, neighbour.pk) not in page
    assert world.b_east.head_name not in page
    assert client.get(url(DETAIL, neighbour.pk)).status_code == 404
