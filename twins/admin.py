from django.contrib import admin

from .models import ScoringRun, TwinState


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "as_of",
        "status",
        "shards_done",
        "shards_total",
        "pairs",
        "alerts_created",
        "alerts_updated",
        "alerts_expired",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ScoringRun._meta.fields]


@admin.register(TwinState)
class TwinStateAdmin(admin.ModelAdmin):
    list_display = (
        "client",
        "family",
        "kind",
        "as_of",
        "mature",
        "expected_next",
        "band_low",
        "band_high",
        "p_active",
    )
    list_filter = ("kind", "mature", "family")
    search_fields = ("client__code", "client__name")
    list_select_related = ("client", "family")
    raw_id_fields = ("client", "family", "scoring_run")
    show_full_result_count = False
