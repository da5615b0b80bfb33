from django.contrib import admin

from .models import DealRun, DealScore, Opportunity, Stage, StageChange


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "name", "is_late", "is_qualification", "outcome")
    list_display_links = ("code",)
    list_editable = ("name", "is_late", "is_qualification")
    ordering = ("order",)


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    autocomplete_fields = ("changed_by",)


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "client",
        "owner",
        "amount",
        "stage",
        "outcome",
        "segment",
        "region",
        "created_date",
        "closed_date",
    )
    list_filter = ("outcome", "stage", "lead_source", "segment", "region")
    search_fields = ("external_id", "name", "client__code", "client__name")
    list_select_related = ("client", "owner", "stage")
    autocomplete_fields = ("client", "owner", "family", "product")
    date_hierarchy = "created_date"
    inlines = [StageChangeInline]


@admin.register(DealRun)
class DealRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "as_of",
        "status",
        "deals_scored",
        "alerts_created",
        "alerts_updated",
        "alerts_expired",
        "started_at",
        "finished_at",
    )
    readonly_fields = [f.name for f in DealRun._meta.fields]


@admin.register(DealScore)
class DealScoreAdmin(admin.ModelAdmin):
    list_display = ("opportunity", "as_of", "p_loss", "at_stake")
    list_select_related = ("opportunity",)
    raw_id_fields = ("opportunity", "run")
