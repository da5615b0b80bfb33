"""URLs of the rep- and manager-facing pages."""

from django.urls import path

from . import deals_views, insights_views, run_views, views, voice_views

app_name = "web"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/answer/", views.answer, name="answer"),
    path("clients/<int:pk>/", views.client_detail, name="client"),
    path("clients/<int:pk>/notes/", views.add_note, name="add_note"),
    path("team/", views.manager, name="manager"),
    path("runs/status/", run_views.run_status, name="run_status"),
    path("pipeline/", deals_views.pipeline, name="pipeline"),
    path("insights/", insights_views.insights_page, name="insights"),
    path("voice/", voice_views.voice_page, name="voice"),
]
