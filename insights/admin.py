from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    ChurnScore,
    ChurnTier,
    InsightsRun,
    Segment,
    SegmentMembership,
    TerritoryFigure,
    TerritoryWeights,
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


@admin.register(TerritoryWeights)
class TerritoryWeightsAdmin(admin.ModelAdmin):
    """One row: the four weights (divided by their sum when scoring) and the tier bounds."""

    list_display = ("__str__", "revenue", "active_clients", "growth", "potential", "effective")
    fieldsets = (
        (
            _("Weights (divided by their sum: 35/30/20/15 and 7/6/4/3 are the same)"),
            {"fields": ("revenue", "active_clients", "growth", "potential", "effective")},
        ),
        (_("Tiers"), {"fields": ("premium_above", "underperforming_below")}),
    )
    readonly_fields = ("effective",)

    @admin.display(description=_("Effective shares"))
    def effective(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        names = {
            "revenue": _("revenue"),
            "clients": _("active clients"),
            "growth": _("growth"),
            "potential": _("potential captured"),
        }
        return ", ".join(f"{names[k]} {v:.0%}" for k, v in obj.shares().items())

    def has_add_permission(self, request):
        return not TerritoryWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TerritoryFigure)
class TerritoryFigureAdmin(admin.ModelAdmin):
    list_display = ("level", "unit", "name", "as_of", "revenue", "active_clients", "potential")
    list_filter = ("level", "as_of")
    readonly_fields = [f.name for f in TerritoryFigure._meta.fields]
