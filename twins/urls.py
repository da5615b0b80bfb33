"""URLs of the scoring-run pages (status widget for managers)."""

app_name = "twins"

urlpatterns = []
