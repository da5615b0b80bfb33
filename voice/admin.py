from django.contrib import admin

from .models import SurveyResponse, TextAnalysis, VoiceRun


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("response_id", "client", "date", "nps", "overall", "would_recommend", "channel")
    list_filter = ("channel", "date")
    search_fields = ("response_id", "client__code", "client__name", "comment")
    raw_id_fields = ("client",)
    date_hierarchy = "date"


@admin.register(TextAnalysis)
class TextAnalysisAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "date", "language", "label", "polarity", "is_complaint")
    list_filter = ("label", "language", "is_complaint", "nps_category", "nps_predicted")
    search_fields = ("client__code", "quote")
    raw_id_fields = ("client", "survey", "note")
    readonly_fields = [f.name for f in TextAnalysis._meta.fields]


@admin.register(VoiceRun)
class VoiceRunAdmin(admin.ModelAdmin):
    list_display = ("id", "as_of", "status", "analysed", "alerts_created", "alerts_updated",
                    "alerts_expired", "started_at")  # fmt: skip
    readonly_fields = [f.name for f in VoiceRun._meta.fields]
