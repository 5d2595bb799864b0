from django.urls import path

from . import (
    batch_views,
    chart_views,
    door_views,
    import_views,
    ledger_views,
    rectification_views,
)

app_name = "communities"

urlpatterns = [
    # Batch entry (批量录入): one micro-grid and one month at a time.
    path("scoring/batch/", batch_views.batch_entry, name="batch_entry"),
    # The household's points ledger, reversal, the review queue, month close.
    path("scoring/households/<id:pk>/", ledger_views.household_points, name="household_points"),
    path("scoring/events/<id:pk>/reverse/", ledger_views.event_reverse, name="event_reverse"),
    path("scoring/review/", ledger_views.review_queue, name="review_queue"),
    path("scoring/review/<id:pk>/veto/", ledger_views.review_veto, name="review_veto"),
    path("scoring/months/", ledger_views.month_list, name="month_list"),
    path("scoring/months/close/", ledger_views.month_close_confirm, name="month_close"),
    # Monthly points chart (美丽积分图).
    path("scoring/chart/", chart_views.points_chart, name="points_chart"),
    # Scoring at the door on the phone (入户评分), usable without signal.
    path("door/", door_views.door_home, name="door"),
    path("door/data/", door_views.door_data, name="door_data"),
    path("door/households/<id:pk>/", door_views.door_household, name="door_household"),
    path("door/sync/", door_views.door_sync, name="door_sync"),
    path("door/month/", door_views.door_month, name="door_month"),
    path("door/sw.js", door_views.door_service_worker, name="door_sw"),
    path("door/manifest.webmanifest", door_views.door_manifest, name="door_manifest"),
    # Rectification (整改) after a deduction: the open list and the re-inspection.
    path("rectifications/", rectification_views.rectification_list, name="rectification_list"),
    path(
        "rectifications/export.xlsx",
        rectification_views.rectification_export,
        name="rectification_export",
    ),
    path(
        "rectifications/<id:pk>/",
        rectification_views.rectification_inspect,
        name="rectification_inspect",
    ),
    # Excel import of a typed-in inspection sheet.
    path("scoring/import/", import_views.score_event_import, name="score_event_import"),
]
