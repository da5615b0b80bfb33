"""URLs of the scoring-run pages (status widget for managers)."""

from django.urls import path

from . import views

app_name = "twins"

urlpatterns = [
    path("status/", views.run_status, name="run_status"),
]
