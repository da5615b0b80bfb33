"""URLs of the rep- and manager-facing pages."""

from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("", views.queue, name="queue"),
]
