from rest_framework.routers import DefaultRouter

from communities.api import HouseholdScoreViewSet, ScoreEventViewSet
from dividends.api import DividendRunViewSet
from villages.api import CooperativeViewSet, HouseholdViewSet


class Router(DefaultRouter):
    """Detail routes take their id through the bounded `id` converter
    (`pinghu_points.parameters`): a number that is no id is a 404, never a query.
    No `.json` suffix routes: JSON is the default answer already."""

    include_format_suffixes = False

    def __init__(self):
        super().__init__(use_regex_path=False)
        self._default_value_pattern = "id"


router = Router()
router.register("cooperatives", CooperativeViewSet, basename="cooperative")
router.register("households", HouseholdViewSet, basename="household")
router.register("score-events", ScoreEventViewSet, basename="score-event")
router.register("household-scores", HouseholdScoreViewSet, basename="household-score")
router.register("dividend-runs", DividendRunViewSet, basename="dividend-run")

urlpatterns = router.urls
