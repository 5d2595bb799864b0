from django.urls import path

from . import batch_views, chart_views, import_views, ledger_views

app_name = "communities"

urlpatterns = [
    # Batch entry (批量录入): one micro-grid and one month at a time.
    path("scoring/batch/", batch_views.batch_entry, name="batch_entry"),
    # The household's points ledger, reversal, the review queue, month close.
    path("scoring/households/<id:pk>/", ledger_views.household_points, name="household_points"),
    path("scoring/events/<id:pk>/reverse/", ledger_views.event_reverse, name="event_reverse"),
    path("scoring/review/", ledger_views.review_queue, name="review_queue"),
    path("scoring/months/", ledger_views.month_list, name="month_list"),
    path("scoring/months/close/", ledger_views.month_close_confirm, name="month_close"),
    # Monthly points chart (美丽积分图).
    path("scoring/chart/", chart_views.points_chart, name="points_chart"),
    # Excel import of a typed-in inspection sheet.
    path("scoring/import/", import_views.score_event_import, name="score_event_import"),
]
