"""The month list on a phone (issue 16, lists that fit a thumb): one row per month, the whole
row a link to the month's page, its status on the right; reopening, which the desktop table
offers in the row, is on the month's page for the subdistrict admin."""

import pytest
from django.urls import reverse
from django.utils import timezone

from communities import selectors, services
from communities.month_display import month_url

MONTHS_URL = reverse("communities:month_list")


@pytest.fixture
def label():
    return timezone.localdate().strftime("%Y-%m")


def thumbs(body):
    """The phone rows of the page (every community's)."""
    return "".join(part.split("</ul>", 1)[0] for part in body.split('<ul class="thumb-list">')[1:])


def row_link(community, label):
    return f'<a class="thumb-row" href="{month_url(community, label).replace("&", "&amp;")}">'


def test_every_month_is_one_row_linking_to_its_page(world, login, label):
    body = login(world.staff_east).get(MONTHS_URL).content.decode()
    rows = thumbs(body)

    assert rows.count('<a class="thumb-row"') == 12
    assert row_link(world.east, label) in rows
    assert rows.count('thumb-status is-open">开放<') == 12
    assert "month-close-link" not in rows  # the desktop button stays in the table
    assert world.west.name not in body


def test_a_closed_month_says_so_and_who_closed_it(world, login, label):
    month = selectors.first_of_month(timezone.localdate())
    services.month_close(actor=world.staff_east, community=world.east, month=month)

    rows = thumbs(login(world.admin).get(MONTHS_URL).content.decode())

    assert rows.count('thumb-status is-closed">已关账<') == 1
    assert rows.count('thumb-status is-open">开放<') == 23  # east's other 11, west's 12
    assert "staff_east · " in rows
    # The row is still a link: the month's page is where the admin reopens it.
    assert row_link(world.east, label) in rows
    assert 'value="reopen"' not in rows


def test_the_month_page_offers_reopening_to_the_admin_only(world, login, label):
    month = selectors.first_of_month(timezone.localdate())
    services.month_close(actor=world.staff_east, community=world.east, month=month)
    url = month_url(world.east, label)

    staff_page = login(world.staff_east).get(url).content.decode()
    assert 'id="close-already"' in staff_page
    assert 'value="reopen"' not in staff_page

    client = login(world.admin)
    admin_page = client.get(url).content.decode()
    assert 'id="month-reopen-form"' in admin_page and 'value="reopen"' in admin_page
    assert 'name="reason"' in admin_page and "required" in admin_page

    # The form posts what the table's inline form posts.
    response = client.post(
        MONTHS_URL,
        {"community": world.east.pk, "month": label, "action": "reopen", "reason": "漏录检查表"},
    )
    assert response.status_code == 302
    assert not selectors.month_is_closed(community=world.east, month=month)


def test_an_open_months_page_offers_no_reopening(world, login, label):
    page = login(world.admin).get(month_url(world.east, label)).content.decode()

    assert 'id="month-close-form"' in page
    assert 'id="month-reopen-form"' not in page
