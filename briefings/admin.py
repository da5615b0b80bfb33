from django.contrib import admin

from .models import Brief, DigestPreference, Notification


@admin.register(Brief)
class BriefAdmin(admin.ModelAdmin):
    list_display = ("user", "as_of", "language", "audio_seconds", "synth_seconds", "created_at")
    list_filter = ("language",)
    search_fields = ("user__username", "transcript")
    readonly_fields = ("created_at",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "created_at", "read_at")
    list_filter = ("event",)
    search_fields = ("user__username",)
    raw_id_fields = ("alert",)


@admin.register(DigestPreference)
class DigestPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "weekly_digest", "updated_at")
