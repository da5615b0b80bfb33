from django.contrib import admin

from .models import GroundTruth


@admin.register(GroundTruth)
class GroundTruthAdmin(admin.ModelAdmin):
    list_display = ("client", "family", "scenario", "onset")
    list_filter = ("scenario", "family")
    search_fields = ("client__code",)
    raw_id_fields = ("client", "family")
    show_full_result_count = False
