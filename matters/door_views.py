"""The door app's endpoints for matters, progress notes, visits and re-inspections made
without signal (issue 25, point 4). The door page itself is communities' (door_views.py);
these compose matters and the points ledger, so they live here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from communities.door_views import door_grid_of, queued_fields, queued_id, queued_rows
from communities.rectification_views import refund_text
from pinghu_points.formatting import plain_points

from . import door_records, selectors


def _require_scorer(user):
    if not user.may_score:
        raise PermissionDenied(_("只有社区工作人员可以录入积分"))


# --- Matters, progress notes, visits and re-inspections without signal (issue 25, point 4) --
# GET  /matters/door/records/data/?grid=<id>  what the door app shows for them offline:
#                                          the grid's matters in hand and the open
#                                          rectifications of its households
# POST /matters/door/records/sync/            queued records (``records`` JSON + photos
#                                          ``photo-<client id>``), each created, found
#                                          as sent before, or refused with its reasons


@login_required
@require_GET
def door_records_data(request):
    user = request.user
    _require_scorer(user)
    grid, _grids = door_grid_of(user, request.GET.get("grid"))
    if grid is None:
        raise Http404
    matters, rectifications = selectors.door_open_work(user=user, grid=grid)
    return JsonResponse(
        {
            "grid": grid.pk,
            "matters": [
                {
                    "id": matter.pk,
                    "text": matter.text,
                    "place": matter.place,
                    "state": matter.get_state_display(),
                    "dueOn": matter.due_on.isoformat() if matter.due_on else None,
                    "household": matter.household_id,
                }
                for matter in matters
            ],
            "rectifications": [
                {
                    "id": rectification.pk,
                    "household": rectification.household_id,
                    "dueOn": rectification.due_on.isoformat(),
                    "item": rectification.deduction.item.name,
                    "deductedOn": rectification.deduction.occurred_on.isoformat(),
                    "points": plain_points(-rectification.deduction.points),
                    "refund": refund_text(rectification.deduction.item),
                }
                for rectification in rectifications
            ],
        }
    )


def _parse_record(raw, files):
    """One queued record as the phone sent it → `door_records.DoorRecordEntry`."""
    client_id, occurred_on = queued_fields(raw)
    return door_records.DoorRecordEntry(
        kind=str(raw.get("kind") or ""),
        client_id=client_id,
        household_id=queued_id(raw.get("household")),
        grid_id=queued_id(raw.get("grid")),
        matter_id=queued_id(raw.get("matter")),
        rectification_id=queued_id(raw.get("rectification")),
        text=str(raw.get("text") or ""),
        place=str(raw.get("place") or ""),
        note=str(raw.get("note") or ""),
        result=str(raw.get("result") or ""),
        occurred_on=occurred_on,
        photo=files.get(f"photo-{client_id}") if client_id else None,
    )


@login_required
@require_POST
def door_records_sync(request):
    """Send queued records: each one created, found (sent before) or refused with reasons."""
    user = request.user
    _require_scorer(user)
    raw_records, refusal = queued_rows(request, "records")
    if refusal:
        return refusal
    records = [_parse_record(raw, request.FILES) for raw in raw_records]
    results = door_records.door_records_sync(actor=user, records=records)
    return JsonResponse(
        {
            "results": [
                {
                    "clientId": str(result.client_id) if result.client_id else None,
                    "kind": result.kind,
                    "status": result.status,
                    "id": result.object_id,
                    "errors": [{"field": "other", "message": message} for message in result.errors],
                }
                for result in results
            ]
        }
    )
