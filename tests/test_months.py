"""One year range and one "months of a year" rule (issue 21, point 3)."""

from datetime import date

import pytest

from pinghu_points import months
from pinghu_points.parameters import FIRST_YEAR, LAST_YEAR, parse_year

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(("year", "count"), [(2025, 12), (2026, 6), (2027, 0)])
def test_months_of_a_year(year, count):
    assert months.months_of_year(year, today=TODAY) == count


def test_years_shown_run_from_the_first_year_to_this_one():
    assert months.years_shown(today=TODAY) == list(range(2026, FIRST_YEAR - 1, -1))
    assert months.is_year_shown(2026, today=TODAY)
    assert not months.is_year_shown(2027, today=TODAY)
    assert not months.is_year_shown(FIRST_YEAR - 1, today=TODAY)


def test_one_range_for_every_year_a_client_sends():
    assert (FIRST_YEAR, LAST_YEAR) == (2018, 2100)
    assert parse_year(str(FIRST_YEAR - 1)) is None
    assert months.parse_month(f"{FIRST_YEAR - 1}-12") is None
    assert months.parse_month("2026-05") == date(2026, 5, 1)
    assert months.parse_month("2026-13") is None
    assert months.parse_month("x") is None


def test_month_arithmetic():
    assert months.previous_month(date(2026, 1, 9)) == date(2025, 12, 1)
    assert months.last_day(date(2024, 2, 1)) == date(2024, 2, 29)
    assert months.months_back(date(2026, 2, 3), 3) == [
        date(2026, 2, 1),
        date(2026, 1, 1),
        date(2025, 12, 1),
    ]


@pytest.mark.django_db
def test_the_dividend_form_takes_the_same_range():
    from dividends.forms import DividendRunForm

    field = DividendRunForm.base_fields["year"]
    assert (field.min_value, field.max_value) == (FIRST_YEAR, LAST_YEAR)
