from django.contrib import admin

from .models import (
    ChurnScore,
    ChurnTier,
    InsightsRun,
    Segment,
    SegmentMembership,
    ValueForecast,
)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "name", "playbook")
    list_editable = ("name", "playbook")
    readonly_fields = ("code", "profile")


@admin.register(ChurnTier)
class ChurnTierAdmin(admin.ModelAdmin):
    list_display = ("code", "min_probability", "action", "alert_min_at_stake")
    list_editable = ("min_probability", "action", "alert_min_at_stake")


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(admin.ModelAdmin):
    list_display = ("client", "segment", "as_of")
    list_filter = ("segment", "as_of")
    search_fields = ("client__code", "client__name")
    list_select_related = ("client", "segment")
    raw_id_fields = ("client", "run")


@admin.register(ChurnScore)
class ChurnScoreAdmin(admin.ModelAdmin):
    list_display = ("client", "tier", "p_churn", "at_stake", "as_of")
    list_filter = ("tier",)
    search_fields = ("client__code", "client__name")
    list_select_related = ("client",)
    raw_id_fields = ("client", "run", "merged_into")


@admin.register(ValueForecast)
class ValueForecastAdmin(admin.ModelAdmin):
    list_display = ("client", "as_of", "method", "expected", "low", "high", "room_to_grow")
    list_filter = ("method", "as_of")
    search_fields = ("client__code", "client__name")
    list_select_related = ("client",)
    raw_id_fields = ("client", "run")


@admin.register(InsightsRun)
class InsightsRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "as_of", "status", "clients", "alerts_created", "alerts_merged")
    readonly_fields = [f.name for f in InsightsRun._meta.fields]
