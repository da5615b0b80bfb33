"""URLs of the brief, the notifications and the profile (included under /me/)."""

from django.urls import path

from . import views

app_name = "briefings"

urlpatterns = [
    path("brief/", views.player, name="player"),
    path("brief/new/", views.new_brief, name="new_brief"),
    path("brief/<int:pk>/audio.opus", views.audio, name="audio"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read/", views.mark_read, name="mark_read"),
    path("profile/", views.profile, name="profile"),
]
