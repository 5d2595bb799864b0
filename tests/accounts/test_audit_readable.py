"""The audit trail people can read (issue 14): labels, names and roles, links, sentences,
filters, a household's trail and the xlsx export."""

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts import audit_display
from accounts.models import AuditRecord, User
from accounts.services import audit_record, user_set_role
from communities import services
from communities.services import Entry
from matters.models import MatterStep
from tests.communities.conftest import YEAR, items, standard  # noqa: F401

TODAY = date(YEAR, 6, 15)
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")


@pytest.fixture
def trail(world, items):  # noqa: F811
    w = world
    w.staff_east.first_name = "晓东"
    w.staff_east.last_name = "周"
    w.staff_east.save()
    (event,) = services.score_events_record(
        actor=w.staff_east,
        entries=[
            Entry(
                household_id=w.a_east.pk,
                item_id=items["clean"].pk,
                occurred_on=date(YEAR, 2, 1),
                points="5",
            )
        ],
        today=TODAY,
    )
    services.score_event_reverse(actor=w.staff_east, event=event, reason="录错户")
    services.score_events_record(
        actor=w.staff_west,
        entries=[
            Entry(
                household_id=w.b_west.pk,
                item_id=items["clean"].pk,
                occurred_on=date(YEAR, 2, 1),
                points="5",
            )
        ],
        today=TODAY,
    )
    user_set_role(user=w.staff_west, actor=w.admin, role=User.Role.ACCOUNTANT, cooperative=w.coop_a)
    audit_record(actor=w.staff_east, action="auth.login", target=w.staff_east)
    return w


def test_every_action_code_written_by_the_code_has_a_chinese_label():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    written = set()
    for path in root.glob("*/*.py"):
        if path.parts[-2] in ("tests", ".venv", "bench"):
            continue
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
        written |= set(re.findall(r'else "([a-z_]+\.[a-z_]+)"', text))
    written |= {"score_event.confirmed", "score_event.rejected"}  # f"score_event.{decision}"
    written |= {f"matter.{step}" for step in MatterStep.Step.values}  # matters.services._step
    written |= {f"bank.{kind}" for kind in ("lookup", "list", "detail", "export")}  # f"bank.{kind}"
    assert written
    missing = written - set(audit_display.ACTION_LABELS)
    assert not missing


def test_audit_page_shows_labels_names_roles_links_and_sentences(trail, login):
    body = login(trail.admin).get(reverse("accounts:audit_list")).content.decode()
    assert "录入积分" in body and "冲正积分" in body and "登录" in body
    assert "周晓东" in body and "社区工作人员" in body
    assert "原因：录错户" in body
    # The role change reads as a sentence, not a dict.
    assert "角色由「社区工作人员」改为「合作社会计」" in body
    assert "{&#x27;" not in body and "{'" not in body
    table = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert not CODE.search(re.sub(r"<[^>]+>", " ", table).replace("录入积分", ""))
    # The reversal's object links to the household's points page.
    assert reverse("communities:household_points", args=[trail.a_east.pk]) in body


def test_filters_by_household_user_action_and_date(trail, login):
    client = login(trail.admin)
    url = reverse("accounts:audit_list")

    rows = client.get(url, {"household": trail.a_east.pk}).context["rows"]
    assert {row["record"].action for row in rows} == {"score_event.create", "score_event.reverse"}
    assert all(row["record"].actor_id == trail.staff_east.pk for row in rows)

    rows = client.get(url, {"actor": "晓东"}).context["rows"]
    assert {row["record"].actor_id for row in rows} == {trail.staff_east.pk}

    rows = client.get(url, {"action": "auth.login"}).context["rows"]
    assert {row["record"].action for row in rows} == {"auth.login"}
    assert trail.staff_east.pk in {row["record"].actor_id for row in rows}

    today = timezone.localdate()
    assert client.get(url, {"date_from": today.isoformat()}).context["rows"]
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert not client.get(url, {"date_from": tomorrow}).context["rows"]
    assert not client.get(url, {"date_to": (today - timedelta(days=1)).isoformat()}).context["rows"]


def test_household_page_links_to_its_trail_for_the_admin(trail, login):
    link = f"{reverse('accounts:audit_list')}?household={trail.a_east.pk}"
    detail = reverse("villages:household_detail", args=[trail.a_east.pk])
    assert link in login(trail.admin).get(detail).content.decode()
    assert link not in login(trail.staff_east).get(detail).content.decode()


def test_audit_export_is_readable_and_formula_safe(trail, login):
    audit_record(
        actor=trail.admin,
        action="month.reopen",
        target=trail.east,
        details={"month": "2026-02", "reason": '=HYPERLINK("x")'},
    )
    response = login(trail.admin).get(reverse("accounts:audit_list"), {"format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert rows[0][:3] == ("时间", "操作人", "角色")
    actions = {row[5] for row in rows[1:]}
    assert {"录入积分", "冲正积分", "重新开放月份"} <= actions
    (reopen,) = [row for row in rows[1:] if row[5] == "重新开放月份"]
    assert reopen[7].startswith("月份：2026-02")
    # A cell that would start with = is neutralised (the details here start with 月份, so
    # check the helper on its own too).
    assert audit_display.action_label("month.reopen") == "重新开放月份"
    from pinghu_points.exports import neutralise as safe_text

    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("-3") == "'-3"
    assert safe_text("@x") == "'@x"
    assert safe_text("\tx") == "'\tx"
    assert safe_text("平湖") == "平湖"


@pytest.mark.parametrize("who", ["staff_east", "accountant_a", "supervisor_a", "villager_a"])
def test_audit_page_and_export_only_for_the_admin(trail, login, who):
    client = login(getattr(trail, who))
    assert client.get(reverse("accounts:audit_list")).status_code == 403
    assert client.get(reverse("accounts:audit_list"), {"format": "xlsx"}).status_code == 403


def test_unknown_action_shows_its_code_and_details_as_sentences(world):
    record = audit_record(
        actor=None, action="future.thing", details={"count": 3, "locked": True, "ids": [1, 2]}
    )
    assert audit_display.action_label(record.action) == "future.thing"
    assert audit_display.detail_sentences(record) == ["条数：3", "开始锁定：是", "编号：1、2"]
    assert audit_display.actor_name(AuditRecord.objects.get(pk=record.pk)) == "系统"
