"""Month and year arithmetic, in one place (issue 21, point 3).

A month is the date of its first day. Which years exist for the product is
`pinghu_points.parameters` (FIRST_YEAR … LAST_YEAR, what a client may send); which of them
have anything to read is `years_shown`, and how many months of a year have happened is
`months_of_year`. Every page, export and API answer that shows "months 1 … n" of a year
asks `months_of_year`, so a past year has 12, this year the months up to this one, and a
year still to come none.
"""

from datetime import date, timedelta

from .parameters import FIRST_YEAR, LAST_YEAR


def first_of_month(day):
    return date(day.year, day.month, 1)


def previous_month(day):
    """The first day of the month before the one `day` is in."""
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def last_day(month):
    """The last day of the month `month` is in."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_back(day, count):
    """The month of `day` and the `count - 1` before it, newest first."""
    months = [first_of_month(day)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


def parse_month(value):
    """ "2026-05" from a query or form as date(2026, 5, 1); None when missing, malformed or
    outside the year range."""
    try:
        year, number = (int(part) for part in (value or "").split("-"))
        return date(year, number, 1) if FIRST_YEAR <= year <= LAST_YEAR else None
    except ValueError:
        return None


def months_of_year(year, *, today):
    """How many months of `year` have begun by `today`: 12, today's month, or 0."""
    if year < today.year:
        return 12
    return today.month if year == today.year else 0


def years_shown(*, today):
    """The years that can have data to read, newest first: FIRST_YEAR … this year."""
    return list(range(today.year, FIRST_YEAR - 1, -1))


def is_year_shown(year, *, today):
    return FIRST_YEAR <= year <= today.year
