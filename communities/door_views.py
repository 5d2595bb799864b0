"""Scoring at the door (入户评分): the micro-grid leader's phone entry.

GET  /communities/door/?grid=<id>             the app shell: the grid's households and one
                                              household's scoring screen (#h<id>), drawn by
                                              static/js/door.js from the data below and kept
                                              on the phone for use without signal
GET  /communities/door/data/?grid=<id>        the grid's households, standards, this month's
                                              events and room under caps, as JSON
GET  /communities/door/households/<id>/       a household's scoring screen (the card's QR
                                              code leads here for staff in scope)
POST /communities/door/sync/                  queued entries (``entries`` JSON + photos
                                              ``photo-<client id>``), each created, found
                                              as sent before, or refused with its reasons
GET  /communities/door/month/?grid=&month=    the grid leader's month: visited, not visited,
                                              persistently low (the points chart's rule)
POST the same URL (household=<id>)            "visit recorded": a visit without points
GET  /communities/door/sw.js                  the service worker (scope /communities/door/)
GET  /communities/door/manifest.webmanifest   the installable app's manifest

Every household comes from `accounts.scope.households_scorable_by`; every rule of an
entry lives in `communities.services` (`score_entries_sync` → `score_events_record`).
"""

import hashlib
import json
import uuid
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import households_scorable_by
from pinghu_points.formatting import signed_points
from pinghu_points.months import parse_month

from . import door_presenters, selectors, services

MAX_SYNC_ENTRIES = 50
FIELD_LABELS = {
    "household": "household",
    "item": "item",
    "points": "points",
    "occurred_on": "occurred_on",
    "note": "note",
    "evidence": "evidence",
    "client_id": "client_id",
}


def _require_scorer(user):
    if not user.may_score:
        raise PermissionDenied(_("只有社区工作人员可以录入积分"))


def door_grid_of(user, value):
    grids = selectors.door_grids(user=user)
    if value:
        grid = next((grid for grid in grids if str(grid.pk) == str(value)), None)
        if grid is None:
            # Any grid of the user's communities may be opened, not only one they lead.
            grid = next(
                (grid for grid in selectors.batch_grids(user=user) if str(grid.pk) == str(value)),
                None,
            )
        if grid is None:
            raise Http404
        return grid, grids
    return (grids[0] if grids else None), grids


@login_required
@require_GET
def door_home(request):
    _require_scorer(request.user)
    grid, grids = door_grid_of(request.user, request.GET.get("grid"))
    context = {
        "grid": grid,
        "grids": grids,
        "data_url": f"{reverse('communities:door_data')}?{urlencode({'grid': grid.pk})}"
        if grid
        else "",
        "sync_url": reverse("communities:door_sync"),
        "sw_url": reverse("communities:door_sw"),
        "messages_text": _client_messages(),
    }
    return render(request, "communities/door.html", context)


@login_required
@require_GET
def door_household(request, pk):
    """The household's scoring screen: the door app opened at that household."""
    _require_scorer(request.user)
    household = get_object_or_404(households_scorable_by(request.user), pk=pk)
    if household.micro_grid_id is None:
        raise Http404
    url = f"{reverse('communities:door')}?{urlencode({'grid': household.micro_grid_id})}"
    return redirect(f"{url}#h{household.pk}")


@login_required
@require_GET
def door_data(request):
    user = request.user
    _require_scorer(user)
    grid, _grids = door_grid_of(user, request.GET.get("grid"))
    if grid is None:
        raise Http404
    today = timezone.localdate()
    month = selectors.first_of_month(today)
    data = selectors.door_grid(user=user, grid=grid, month=month)
    # 整改: each household's earliest open rectification (the row's badge, the re-inspection).
    rectifications = {}
    for rectification in selectors.open_rectifications(households=data.households):
        rectifications.setdefault(rectification.household_id, rectification)
    return JsonResponse(
        door_presenters.door_data(
            grid=grid,
            month=month,
            today=today,
            data=data,
            rectifications=rectifications,
            now=timezone.now(),
        )
    )


def queued_id(value):
    """An id a phone's queued row names: 0 (found nowhere) for anything not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def queued_fields(raw):
    """(client id, date) of a phone's queued row: None for a missing or malformed one."""
    try:
        client_id = uuid.UUID(str(raw.get("clientId")))
    except ValueError:
        client_id = None
    try:
        occurred_on = date.fromisoformat(str(raw.get("occurredOn")))
    except ValueError:
        occurred_on = None
    return client_id, occurred_on


def _parse_entry(raw, files):
    """One queued entry as the phone sent it → `services.Entry` (bad values → None fields)."""
    client_id, occurred_on = queued_fields(raw)
    points = raw.get("points")
    return services.Entry(
        household_id=queued_id(raw.get("household")),
        item_id=queued_id(raw.get("item")),
        occurred_on=occurred_on,
        points=None if points in (None, "") else str(points),
        note=str(raw.get("note") or "").strip(),
        evidence=(
            files.get(f"photo-{raw.get('clientId')}") or files.get(f"photo-{client_id}")
            if client_id
            else None
        ),
        client_id=client_id,
    )


def queued_rows(request, field):
    """The rows a phone's queue sent as a JSON list in POST[field], and None — or None and
    the 400 answer saying why not (not a list of objects, more than MAX_SYNC_ENTRIES)."""
    try:
        rows = json.loads(request.POST.get(field) or "[]")
    except ValueError:
        rows = None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return None, JsonResponse({"error": _("数据格式不对")}, status=400)
    if len(rows) > MAX_SYNC_ENTRIES:
        return None, JsonResponse(
            {"error": _("一次最多发送 %(count)s 条") % {"count": MAX_SYNC_ENTRIES}}, status=400
        )
    return rows, None


@login_required
@require_POST
def door_sync(request):
    """Send queued entries: each one created, found (sent before) or refused with reasons."""
    user = request.user
    _require_scorer(user)
    raw_entries, refusal = queued_rows(request, "entries")
    if refusal:
        return refusal
    entries = [_parse_entry(raw, request.FILES) for raw in raw_entries]
    results = services.score_entries_sync(actor=user, entries=entries)
    return JsonResponse(
        {
            "results": [
                {
                    "clientId": str(result.client_id) if result.client_id else None,
                    "status": result.status,
                    "event": result.event.pk if result.event else None,
                    "points": signed_points(result.event.points) if result.event else None,
                    "pending": bool(result.event and result.event.needs_review),
                    "errors": [
                        {"field": FIELD_LABELS.get(error.field, "other"), "message": error.message}
                        for error in result.errors
                    ],
                }
                for result in results
            ]
        }
    )


@require_GET
def door_service_worker(request):
    """The service worker, served under /communities/door/ so its scope covers the app.
    It lists the shell's files (with their hashed static names) to keep on the phone."""
    path = finders.find("js/door-sw.js")
    with open(path, encoding="utf-8") as handle:
        code = handle.read()
    shell = [
        reverse("communities:door"),
        static("css/site.css"),
        static("css/door.css"),
        static("js/site.js"),
        static("js/door.js"),
        static("js/door-records.js"),
        reverse("communities:door_manifest"),
        static("img/door-icon.png"),
    ]
    prefix = f"const SHELL = {json.dumps(shell)};\nconst VERSION = {json.dumps(_version(shell))};\n"
    response = HttpResponse(prefix + code, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("communities:door")
    return response


def _version(shell):
    # A new deployment (new hashed static names) installs a new worker and a fresh cache.
    return hashlib.sha256("|".join([*shell, settings.STATIC_URL]).encode()).hexdigest()[:12]


@require_GET
def door_manifest(request):
    door = reverse("communities:door")
    return JsonResponse(
        {
            "name": _("入户评分"),
            "short_name": _("入户评分"),
            "start_url": door,
            "scope": door,
            "display": "standalone",
            "background_color": "#f5f7fa",
            "theme_color": "#b4232c",
            "lang": "zh-CN",
            "icons": [
                {"src": static("img/door-icon.png"), "sizes": "192x192", "type": "image/png"}
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


def _client_messages():
    """The strings door.js shows, translated on the server (the JS holds no UI text)."""
    return {
        "offline": _("没有信号：记录先保存在手机上，有信号后自动发送"),
        "online": _("已联网"),
        "waiting": _("待发送"),
        "refused": _("被退回"),
        "sent": _("已发送"),
        "sending": _("正在发送…"),
        "sendNow": _("立即发送"),
        "notVisited": _("未走访"),
        "visited": _("已走访"),
        "rectifyDue": _("待整改"),
        "reinspect": _("整改复查"),
        "closed": _("本月已关账"),
        "month": _("本月"),
        "year": _("本年"),
        "points": _("分"),
        "note": _("说明"),
        "reasonRequired": _("扣分须填写原因"),
        "vetoReason": _("一票否决须填写原因并拍照，另一名工作人员确认后才生效"),
        "photo": _("拍照"),
        "photoTaken": _("已拍照"),
        "photoRequired": _("此项须拍照"),
        "save": _("保存这一条"),
        "cancel": _("取消"),
        "range": _("分值范围"),
        "leftMonth": _("本月还可"),
        "leftYear": _("本年还可"),
        "noRoom": _("已达上限"),
        "entries": _("本月记录"),
        "queue": _("手机上待发送的记录"),
        "refusedList": _("被退回的记录（请核对后重新录入）"),
        "dismiss": _("知道了"),
        "back": _("返回本网格"),
        "pending": _("待复核"),
        "counted": _("已计入"),
        "rejected": _("已驳回"),
        "reversed": _("已冲正"),
        "reversal": _("冲正"),
        "noStandard": _("该户所在合作社本年没有已发布的积分标准"),
        "noData": _("还没有下载本网格的数据，请在有信号时打开一次"),
        "updated": _("数据更新于"),
        "add": _("加分"),
        "deduct": _("扣分"),
        "veto": _("一票否决"),
        "minus": _("减少"),
        "plus": _("增加"),
        "queuedSaved": _("已保存在手机上，等待发送"),
        "notFound": _("本网格没有这一户"),
    }


@login_required
def door_month(request):
    """The grid leader's month page; POST records a visit that needs no points."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from .chart_views import DEFAULT_MONTHS, DEFAULT_THRESHOLD

    user = request.user
    _require_scorer(user)
    data = request.POST if request.method == "POST" else request.GET
    grid, grids = door_grid_of(user, data.get("grid"))
    if grid is None:
        raise Http404
    today = timezone.localdate()
    current = selectors.first_of_month(today)
    month = parse_month(data.get("month")) or current
    month = min(month, current)
    month_url = (
        f"{reverse('communities:door_month')}?"
        f"{urlencode({'grid': grid.pk, 'month': month.strftime('%Y-%m')})}"
    )
    if request.method == "POST":
        household = get_object_or_404(
            households_scorable_by(user).filter(micro_grid=grid), pk=data.get("household") or 0
        )
        visited_on = today if month == current else None
        try:
            services.household_visit_record(
                actor=user, household=household, visited_on=visited_on or today
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("已记录走访：%(household)s")
                % {"household": f"{household.number} {household.head_name}"},
            )
        return redirect(month_url)
    rows = selectors.grid_month(
        user=user, grid=grid, month=month, threshold=DEFAULT_THRESHOLD, months=DEFAULT_MONTHS
    )
    return render(
        request,
        "communities/door_month.html",
        door_presenters.door_month(
            grid=grid,
            grids=grids,
            month=month,
            current=current,
            rows=rows,
            threshold=DEFAULT_THRESHOLD,
            months=DEFAULT_MONTHS,
        ),
    )
