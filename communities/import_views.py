# Being written (issue 3); replaced by the real views.
from django.http import Http404


def _missing(request, *args, **kwargs):
    raise Http404


batch_entry = household_points = event_reverse = review_queue = month_list = _missing
points_chart = score_event_import = _missing
