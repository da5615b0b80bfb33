"""REST API under /api/v1/ (see crm/api/)."""

urlpatterns = []
