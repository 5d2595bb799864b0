from rest_framework.routers import DefaultRouter

from villages.api import CooperativeViewSet, HouseholdViewSet

router = DefaultRouter()
router.register("cooperatives", CooperativeViewSet, basename="cooperative")
router.register("households", HouseholdViewSet, basename="household")

urlpatterns = router.urls
