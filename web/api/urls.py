"""REST API: /api/v1/ endpoints, the OpenAPI schema at /api/schema/ and its docs at /api/docs/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import deals, insights, views, voice

router = DefaultRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("families", views.FamilyViewSet, basename="family")
router.register("products", views.ProductViewSet, basename="product")
router.register("orders", views.OrderViewSet, basename="order")
router.register("potentials", views.PotentialViewSet, basename="potential")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("scoring-runs", views.ScoringRunViewSet, basename="scoringrun")
router.register("twins", views.TwinStateViewSet, basename="twin")
router.register("opportunities", deals.OpportunityViewSet, basename="opportunity")
router.register("stages", deals.StageViewSet, basename="stage")
router.register("client-segments", insights.SegmentMembershipViewSet, basename="clientsegment")
router.register("churn-risk", insights.ChurnScoreViewSet, basename="churnrisk")
router.register("value-forecasts", insights.ValueForecastViewSet, basename="valueforecast")
router.register("territory-scores", insights.TerritoryScoreViewSet, basename="territoryscore")
router.register("surveys", voice.SurveyViewSet, basename="survey")

app_name = "api"

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
