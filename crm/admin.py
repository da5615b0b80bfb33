from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    Alert,
    Campaign,
    Client,
    Feedback,
    Order,
    OrderLine,
    Potential,
    Product,
    ProductFamily,
    ProductLine,
    Territory,
    User,
    VisitNote,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "get_full_name",
        "email",
        "role",
        "territory",
        "manager",
        "is_active",
    )
    list_filter = ("role", "territory", "is_active", "is_staff")
    list_select_related = ("territory", "manager")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("CRM", {"fields": ("role", "territory", "manager", "language", "weekly_capacity")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("CRM", {"fields": ("role", "territory", "manager", "language", "weekly_capacity")}),
    )


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "postcode", "territory", "rep")
    list_filter = ("territory", "province", "rep")
    search_fields = ("code", "name", "postcode")
    list_select_related = ("territory", "rep")
    autocomplete_fields = ("rep", "territory")
    list_per_page = 50


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(ProductFamily)
class ProductFamilyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "line")
    list_filter = ("kind", "line")
    list_editable = ("kind",)
    search_fields = ("code", "name")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "family", "list_price", "launch_date")
    list_filter = ("family__kind", "family")
    search_fields = ("code", "name")
    list_select_related = ("family",)
    autocomplete_fields = ("family",)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("line_number", "product", "units", "net_value")
    autocomplete_fields = ("product",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("invoice_number", "date", "client")
    list_filter = ("date",)
    search_fields = ("invoice_number", "client__code", "client__name")
    date_hierarchy = "date"
    list_select_related = ("client",)
    autocomplete_fields = ("client",)
    inlines = [OrderLineInline]

    def save_formset(self, request, form, formset, change):
        lines = formset.save(commit=False)
        for line in lines:
            line.date = form.instance.date
            line.client = form.instance.client
            line.family = line.product.family
            line.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "line_number",
        "date",
        "client",
        "product",
        "family",
        "units",
        "net_value",
    )
    list_filter = ("family__kind", "family")
    search_fields = ("order__invoice_number", "client__code", "product__code")
    date_hierarchy = "date"
    list_select_related = ("order", "client", "product", "family")
    raw_id_fields = ("order", "client", "product", "family")
    show_full_result_count = False


@admin.register(Potential)
class PotentialAdmin(admin.ModelAdmin):
    list_display = ("client", "family", "annual_potential", "source", "updated_at")
    list_filter = ("source", "family")
    search_fields = ("client__code", "client__name", "family__code")
    list_select_related = ("client", "family")
    autocomplete_fields = ("client", "family")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "start", "end")
    search_fields = ("code", "name")
    filter_horizontal = ("families",)
    date_hierarchy = "start"


class FeedbackInline(admin.TabularInline):
    model = Feedback
    extra = 0
    fields = ("created_at", "user", "verdict", "action", "reason", "snooze_until", "comment")
    readonly_fields = fields
    can_delete = False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "client",
        "family",
        "kind",
        "status",
        "priority",
        "score",
        "as_of",
        "created_at",
    )
    list_filter = ("status", "kind", "family__kind", "family", "client__territory")
    search_fields = ("client__code", "client__name", "dedup_key")
    list_select_related = ("client", "family")
    raw_id_fields = ("client", "family", "scoring_run")
    readonly_fields = ("dedup_key", "created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = [FeedbackInline]

    def get_readonly_fields(self, request, obj=None):
        # An alert keeps its kind (the dedup key names it), even one no engine registers now.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "kind") if obj is not None else fields


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "alert", "user", "verdict", "action", "reason")
    list_filter = ("verdict", "action", "alert__kind")
    search_fields = ("alert__client__code", "user__username", "comment")
    list_select_related = ("alert__client", "alert__family", "user", "action")
    raw_id_fields = ("alert",)


@admin.register(VisitNote)
class VisitNoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "author")
    search_fields = ("client__code", "client__name", "text")
    raw_id_fields = ("client",)
