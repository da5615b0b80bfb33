"""Admin of launches: create one (its targets and alerts follow), read the subgroup table,
the conversion report and the replacements; edit the Gower attribute weights."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Launch, LaunchAttributeWeight, LaunchTarget


@admin.register(LaunchAttributeWeight)
class LaunchAttributeWeightAdmin(admin.ModelAdmin):
    list_display = ("attribute", "weight", "note")
    list_editable = ("weight",)
    search_fields = ("attribute",)


class LaunchTargetInline(admin.TabularInline):
    model = LaunchTarget
    extra = 0
    can_delete = False
    fields = (
        "client",
        "rep",
        "product",
        "rank",
        "chance",
        "expected_value",
        "rules_score",
        "lookalike_score",
        "appetence_score",
        "band",
        "bought",
    )
    readonly_fields = fields

    @admin.display(description=_("Chance of buying in 12 weeks"))
    def chance(self, obj):
        return _pct(obj.combined)

    @admin.display(description=_("Early-adopter rule score"))
    def rules_score(self, obj):
        return _pct(obj.rule_score)

    @admin.display(description=_("Lookalike"))
    def lookalike_score(self, obj):
        return _pct(obj.lookalike)

    @admin.display(description=_("Appetence"))
    def appetence_score(self, obj):
        return _pct(obj.appetence)

    ordering = ("-targeted", "rep", "rank")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(targeted=True)
            .select_related("client", "rep", "product")
        )

    def has_add_permission(self, request, obj=None):
        return False


def _pct(v):
    """Whole per cent, truncated like the pages' ``percent`` filter."""
    return "—" if v is None else f"{int(100 * float(v) + 1e-9)} %"


@admin.register(Launch)
class LaunchAdmin(admin.ModelAdmin):
    list_display = ("name", "launch_date", "status", "target_per_rep", "targeted_at")
    list_filter = ("status",)
    search_fields = ("name",)
    filter_horizontal = ("products",)
    fields = (
        "name",
        "products",
        "launch_date",
        "target_per_rep",
        "status",
        "as_of",
        "targeted_at",
        "error",
        "subgroups",
        "conversion",
        "replacement_table",
        "info",
    )
    readonly_fields = (
        "status",
        "as_of",
        "targeted_at",
        "error",
        "subgroups",
        "conversion",
        "replacement_table",
        "info",
    )
    inlines = [LaunchTargetInline]
    actions = ["retarget", "judge"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        launch = form.instance
        if change and launch.status not in (Launch.Status.DRAFT, Launch.Status.FAILED):
            return  # already targeted: the "Target again" action refreshes it
        self._target(request, launch)

    def _target(self, request, launch):
        try:
            n = services.target_launch(launch)
        except services.LaunchError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            _("%(name)s: %(n)d early-adopter alerts raised in the reps' queues.")
            % {"name": launch.name, "n": n},
            messages.SUCCESS,
        )

    @admin.action(description=_("Target again (refresh the alerts)"))
    def retarget(self, request, queryset):
        for launch in queryset:
            self._target(request, launch)

    @admin.action(description=_("Judge outcomes (who bought within 12 weeks)"))
    def judge(self, request, queryset):
        n = sum(services.judge_launch(launch, services.timezone.localdate()) for launch in queryset)
        self.message_user(request, _("%(n)d outcomes fed to the bandit.") % {"n": n})

    @admin.display(description=_("Past launches: conversion by band (lookalike × appetence)"))
    def subgroups(self, obj):
        rows = [r for r in (obj.band_table or []) if r.get("n")]
        if not rows:
            return _("No past launch to learn from yet.")
        best = max(rows, key=lambda r: r.get("shrunk") or 0)
        body = format_html_join(
            "",
            "<tr{}><td>{}–{}</td><td>{}–{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    mark_safe(' style="font-weight:bold"') if r is best else "",
                    f"{r['look_lo']:.1f}",
                    f"{r['look_hi']:.1f}",
                    f"{r['app_lo']:.1f}",
                    f"{r['app_hi']:.1f}",
                    r["n"],
                    r["buyers"],
                    _pct(r["conversion"]),
                    _pct(r["shrunk"]),
                )
                for r in rows
            ),
        )
        return format_html(
            '<table class="launch-bands"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Lookalike"),
            _("Appetence"),
            _("Clients"),
            _("Buyers"),
            _("Conversion"),
            _("Conversion (shrunk)"),
            body,
        )

    @admin.display(description=_("Conversion report (bought within 12 weeks)"))
    def conversion(self, obj):
        report = obj.report or {}
        if not report.get("judged"):
            return _("Not judged yet.")
        rows = [
            (_("Targeted"), report["targeted"]),
            (_("Not targeted"), report["not_targeted"]),
        ] + [(f"{_('Score')} {b['lo']:.1f}–{b['hi']:.1f}", b) for b in report.get("bands", [])]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((label, r["n"], r["buyers"], _pct(r["conversion"])) for label, r in rows),
        )
        return format_html(
            '<table class="launch-report"><thead><tr><th></th><th>{}</th><th>{}</th><th>{}</th>'
            "</tr></thead><tbody>{}</tbody></table><p>{} {}</p>",
            _("Clients"),
            _("Buyers"),
            _("Conversion"),
            body,
            _("Judged on"),
            report.get("as_of", ""),
        )

    @admin.display(description=_("Nearest new replacement of each older product"))
    def replacement_table(self, obj):
        if not obj.pk or not obj.products.exists():
            return "—"
        rows = services.replacements(obj)
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>→ {}</td><td>{}</td></tr>",
                ((a, b, f"{s:.2f}") for a, b, s in rows),
            ),
        )

    @admin.display(description=_("Model"))
    def info(self, obj):
        info = obj.model_info or {}
        if not info:
            return "—"
        return format_html_join("", "<div>{}: {}</div>", sorted(info.items()))
