"""Numbers from URLs, query strings and request bodies, parsed in one place.

Every id and year a client sends is bounded here before it reaches a query: an id is
1 … the largest bigint, a year is FIRST_YEAR … LAST_YEAR, a month 1 … 12. Out of range or
not a whole number, it is refused the same way everywhere: a page answers 404 (`IdConverter`
makes the URL not match, `parse_id` returns None), the API answers 400 in DRF's error shape
(the filters and serializer fields below). Without the bounds, `?year=0` crashed the date
lookup and an id above 2**63 - 1 crashed SQLite (issue 10, finding 5).
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Primary keys are BigAutoField: PostgreSQL bigint and SQLite INTEGER both end here.
MAX_ID = 2**63 - 1
# The one year range: every year a page, form, filter or API field takes. Tongjie invented
# the points in 2018, so nothing was scored before (pinghu_points.months.years_shown: the
# years up to this one, for pickers and reading pages).
FIRST_YEAR = 2018
LAST_YEAR = 2100

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
YEAR_SCHEMA = {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}
MONTH_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 12}


def _bounded_integer(value, low, high):
    """`value` (a string from a URL or query) as an int in [low, high], else None."""
    if value is None:
        return None
    text = str(value).strip()
    # Plain digits only: no sign, no "1e3", no "1_000", and never a number so long
    # that int() itself becomes the cost.
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_id(value):
    """A database id from a query parameter, or None when missing or not a valid id."""
    return _bounded_integer(value, 1, MAX_ID)


def parse_year(value):
    """A year from a query parameter, or None when missing or out of range."""
    return _bounded_integer(value, FIRST_YEAR, LAST_YEAR)


class IdConverter:
    """`<id:pk>` in URL patterns: digits that fit a primary key, otherwise no match (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value):
        return str(value)


# --- Forms (pages) and filters (API) -------------------------------------------------


class IdFormField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
        self.error_messages.update(
            {"invalid": _("编号无效"), "min_value": _("编号无效"), "max_value": _("编号无效")}
        )


class YearFormField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(**kwargs)
        message = _("年度须为 %(first)s 到 %(last)s 之间的整数") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        self.error_messages.update({"invalid": message, "min_value": message, "max_value": message})


class MonthFormField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 12)
        super().__init__(**kwargs)
        message = _("月份须为 1 到 12 之间的整数")
        self.error_messages.update({"invalid": message, "min_value": message, "max_value": message})


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.Filter):
    """A filter on an id: a bad one is a 400 from the filter backend, never a query."""

    field_class = IdFormField


@extend_schema_field(YEAR_SCHEMA)
class YearFilter(django_filters.Filter):
    field_class = YearFormField


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.Filter):
    field_class = MonthFormField


class IdField(serializers.IntegerField):
    """An id in a request body (bounded like the URL converter)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class YearField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(**kwargs)
