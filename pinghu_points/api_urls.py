from rest_framework.routers import DefaultRouter

from communities.api import HouseholdScoreViewSet, ScoreEventViewSet
from dividends.api import DividendRunViewSet
from villages.api import CooperativeViewSet, HouseholdViewSet

router = DefaultRouter()
router.register("cooperatives", CooperativeViewSet, basename="cooperative")
router.register("households", HouseholdViewSet, basename="household")
router.register("score-events", ScoreEventViewSet, basename="score-event")
router.register("household-scores", HouseholdScoreViewSet, basename="household-score")
router.register("dividend-runs", DividendRunViewSet, basename="dividend-run")

urlpatterns = router.urls
