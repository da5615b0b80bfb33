from django.contrib import admin

from .models import Action


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_es", "name_en", "alert_kinds", "active", "sort_order")
    list_editable = ("active", "sort_order")
    search_fields = ("code", "name_es", "name_en")
