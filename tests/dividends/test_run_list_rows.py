"""The dividend run list on a phone (issue 16, lists that fit a thumb): one row per run, the
whole row a link to the run, its status badge and total on the right."""

from django.urls import reverse

from tests.dividends.test_views import make_run  # noqa: F401

LIST_URL = reverse("dividends:run_list")


def thumbs(body):
    return body.split('id="run-thumbs"', 1)[1].split("</ul>", 1)[0]


def test_each_run_is_one_row_with_its_status_and_total(world, login, make_run):  # noqa: F811
    run = make_run(total="1234567.50")

    rows = thumbs(login(world.accountant_a).get(LIST_URL).content.decode())

    detail = reverse("dividends:run_detail", args=[run.pk])
    assert rows.count('<a class="thumb-row"') == 1
    assert f'<a class="thumb-row" href="{detail}">' in rows
    assert '<span class="thumb-value">1,234,567.50</span>' in rows
    assert 'class="run-status status-computed">已计算<' in rows
    assert f"{run.year} 第 1 版" in rows
    assert f"{world.coop_a.name} · {run.household_count} 户" in rows


def test_rows_keep_the_users_scope(world, login, make_run):  # noqa: F811
    make_run()

    rows = thumbs(login(world.accountant_b).get(LIST_URL).content.decode())

    assert '<a class="thumb-row"' not in rows
    assert "还没有分红方案。" in rows
