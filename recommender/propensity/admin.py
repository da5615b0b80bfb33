"""Admin of the cross-sell propensity: the models' figures (read-only) and the alert controls
(threshold, maximum new cross-sell alerts per rep per week). Imported by
``recommender/admin.py``."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import PropensityModel, PropensitySettings

FIGURES = (
    ("auc", "AUC"),
    ("pr_auc", "PR-AUC"),
    ("f1", "F1"),
    ("threshold", _("threshold")),
    ("precision_at_20", _("precision@20 per rep")),
    ("brier", "Brier"),
    ("log_loss", "Log-loss"),
    ("positives", _("positives")),
    ("n", _("pairs")),
)


def _fmt(v):
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


@admin.register(PropensityModel)
class PropensityModelAdmin(admin.ModelAdmin):
    list_display = (
        "version",
        "as_of",
        "kind",
        "status",
        "is_current",
        "auc",
        "pr_auc",
        "threshold",
        "alerts_created",
    )
    list_filter = ("status", "is_current", "kind")
    readonly_fields = (
        "version",
        "as_of",
        "status",
        "is_current",
        "kind",
        "window_start",
        "window_end",
        "horizon_weeks",
        "threshold",
        "n_examples",
        "n_positives",
        "figures_table",
        "pairs_scored",
        "alerts_created",
        "alerts_updated",
        "alerts_expired",
        "started_at",
        "finished_at",
        "error",
    )
    exclude = ("validation",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="AUC")
    def auc(self, obj):
        return _fmt(obj.chosen.get("auc"))

    @admin.display(description="PR-AUC")
    def pr_auc(self, obj):
        return _fmt(obj.chosen.get("pr_auc"))

    @admin.display(description=_("validation figures"))
    def figures_table(self, obj):
        if not obj.validation:
            return _("No model: too little signal in the data to fit one.")
        head = format_html_join("", "<th>{}</th>", ((label,) for _k, label in FIGURES))
        rows = format_html_join(
            "",
            "<tr><th>{}{}</th>{}</tr>",
            (
                (
                    kind,
                    " ✓" if kind == obj.kind else "",
                    format_html_join("", "<td>{}</td>", ((_fmt(fig.get(k)),) for k, _l in FIGURES)),
                )
                for kind, fig in obj.validation.items()
            ),
        )
        return format_html(
            '<table class="propensity-figures"><tr><th>{}</th>{}</tr>{}</table>',
            _("candidate"),
            head,
            rows,
        )


@admin.register(PropensitySettings)
class PropensitySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled", "threshold", "max_alerts_per_rep_week", "current_model")
    readonly_fields = ("current_model",)
    fields = ("enabled", "threshold", "max_alerts_per_rep_week", "current_model")

    def has_add_permission(self, request):
        return not PropensitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("current model"))
    def current_model(self, obj):
        model = PropensityModel.objects.filter(is_current=True).first()
        if model is None:
            return _("none yet")
        fig = model.chosen
        return format_html(
            "v{} {} ({}), {} {}: AUC {}, PR-AUC {}, {} {}",
            model.version,
            model.kind,
            model.as_of,
            _("chosen threshold"),
            _fmt(model.threshold),
            _fmt(fig.get("auc")),
            _fmt(fig.get("pr_auc")),
            _("precision@20 per rep"),
            _fmt(fig.get("precision_at_20")),
        )

    def changelist_view(self, request, extra_context=None):
        PropensitySettings.get()  # the one row exists, so the list leads to its form
        return super().changelist_view(request, extra_context)
