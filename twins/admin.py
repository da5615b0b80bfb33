from django.contrib import admin
from django.utils.html import format_html

from .models import ScoringRun, TwinState


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "as_of",
        "status",
        "progress_display",
        "pairs",
        "alerts_created",
        "alerts_updated",
        "alerts_expired",
        "seconds",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    date_hierarchy = "created_at"
    exclude = ("shard_bounds",)
    readonly_fields = [f.name for f in ScoringRun._meta.fields if f.name != "shard_bounds"] + [
        "progress_display"
    ]

    @admin.display(description="progress")
    def progress_display(self, run):
        return format_html(
            '<progress max="{}" value="{}"></progress> {}/{}',
            run.shards_total or 1,
            run.shards_done,
            run.shards_done,
            run.shards_total,
        )

    @admin.display(description="read / fit / write / total s")
    def seconds(self, run):
        t = run.timings or {}
        return " / ".join(
            f"{t[k]:.1f}" if k in t else "-" for k in ("read", "fit", "write", "total")
        )

    def has_add_permission(self, request):
        return False


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
