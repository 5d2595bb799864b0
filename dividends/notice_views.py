"""The dividend notice (分红公示) online, and recording that a run was paid.

GET  /dividends/runs/<id>/notice/    the notice of an approved run, for logged-in users of
                                     its cooperative (households, staff, accountants…)
GET  /dividends/notice/<token>/      the same notice through the QR code, without login,
                                     only while the 公示 period lasts (signed link)
POST /dividends/runs/<id>/paid/      the accountant records the payment, after the period

What the notice shows is `exports.notice_sheet`: the paper notice, row for row (masked
names and ID numbers, no bank data). See docs/villagers.md, "分红公示".
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import cooperatives_visible_to
from pinghu_points.exports import plain_decimal
from pinghu_points.formatting import money
from pinghu_points.qr import notice_qr_svg

from . import exports, notice, services
from .models import DividendPayment, DividendRun


def _cell(value, kind):
    if value is None:
        return ""
    if kind == "money":
        return money(value)
    if kind in ("shares", "score", "number"):
        return plain_decimal(value)
    return str(value)


# The look-up shows at most this many lines; a longer answer asks for a closer query.
SEARCH_LIMIT = 20


def notice_context(run, *, household=None, query=""):
    """The notice as the page draws it: the paper notice's preamble, headers and rows; on a
    phone also its totals first, the lines a look-up found and the villager's own line."""
    first, last = notice.notice_window(run)
    lines = list(exports.run_lines(run))
    sheet, _total = exports.notice_sheet(run, lines, starts_on=first)
    kinds = [column.kind for column in sheet.columns]
    rows = [
        {
            "cells": [
                (header, _cell(value, kind))
                for header, value, kind in zip(sheet.headers, row, kinds, strict=True)
            ],
            "mine": household is not None and line.household_id == household.pk,
            "line": line,
        }
        for line, row in zip(lines, sheet.rows, strict=True)
    ]
    query = (query or "").strip()[:40]
    found = [row for row in rows if notice.line_matches(row["line"], query)] if query else []
    total_row = [
        (header, _cell(value, kind))
        for header, value, kind in zip(sheet.headers, sheet.total or [], kinds, strict=False)
    ]
    return {
        "run": run,
        "sheet": sheet,
        "headers": sheet.headers,
        "rows": rows,
        "total_row": total_row,
        "totals": {
            "households": len(lines),
            "base": money(sum((line.base_amount for line in lines), exports.ZERO)),
            "incentive": money(sum((line.incentive_amount for line in lines), exports.ZERO)),
            "total": money(sum((line.total_amount for line in lines), exports.ZERO)),
        },
        "mine": next((row for row in rows if row["mine"]), None),
        "query": query,
        "found": found[:SEARCH_LIMIT],
        "found_more": len(found) > SEARCH_LIMIT,
        "first_day": first,
        "last_day": last,
        "under_notice": notice.under_notice(run),
        "ended": notice.notice_ended(run),
    }


def public_notice_url(request, run):
    return request.build_absolute_uri(
        reverse("dividends:notice_public", args=[notice.public_token(run)])
    )


def _approved_runs():
    return DividendRun.objects.filter(status=DividendRun.Status.APPROVED).select_related(
        "cooperative", "created_by"
    )


@login_required
@require_GET
def notice_page(request, pk):
    """The notice for logged-in users of the run's cooperative, during and after the period."""
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    run = get_object_or_404(
        _approved_runs().filter(cooperative__in=cooperatives_visible_to(user)), pk=pk
    )
    context = notice_context(
        run,
        household=user.household if user.is_villager else None,
        query=request.GET.get("q", ""),
    )
    if context["under_notice"] and not user.is_villager:
        # The board copy: its QR code opens the notice without a login while it is posted.
        url = public_notice_url(request, run)
        context["public_url"] = url
        context["qr_svg"] = notice_qr_svg(url)
    context["public"] = False
    return render(request, "dividends/notice.html", context)


@never_cache
@require_GET
def notice_public(request, token):
    """The QR link: only the paper notice, only while the 公示 period lasts; else 404."""
    run_id = notice.run_id_from_token(token)
    if run_id is None:
        raise Http404
    run = get_object_or_404(_approved_runs(), pk=run_id)
    if not notice.under_notice(run):
        raise Http404
    context = notice_context(run, query=request.GET.get("q", ""))
    context["public"] = True
    response = render(request, "dividends/notice.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def run_mark_paid(request, pk):
    run = get_object_or_404(
        DividendRun.objects.filter(cooperative__in=cooperatives_visible_to(request.user)), pk=pk
    )
    try:
        paid_on = date.fromisoformat(request.POST.get("paid_on") or notice.today().isoformat())
    except ValueError:
        paid_on = None
    try:
        if paid_on is None:
            raise ValidationError(_("请填写发放日期"))
        services.dividend_run_mark_paid(actor=request.user, run=run, paid_on=paid_on)
    except PermissionDenied:
        raise
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已登记发放。"))
    return redirect("dividends:run_detail", pk=run.pk)


def notice_panel(request, run):
    """What the run page shows about the notice: the period, whether it is under notice,
    the open appeals on its lines, the payment and whether it may be recorded now."""
    from appeals.selectors import open_line_appeals_of_run

    window = notice.notice_window(run)
    if window is None:
        return None
    under = notice.under_notice(run)
    payment = DividendPayment.objects.filter(run=run).select_related("recorded_by").first()
    return {
        "first_day": window[0],
        "last_day": window[1],
        "under_notice": under,
        "appeals": list(open_line_appeals_of_run(run)),
        "payment": payment,
        "may_mark_paid": payment is None and not under and services.may_pay_run(request.user, run),
        "today": notice.today(),
        # The payment date the form accepts: after the period, not after today.
        "first_payable_day": window[1] + timedelta(days=1),
    }
