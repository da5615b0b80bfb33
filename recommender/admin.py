from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.urls import path

from . import admin_learning, selectors, services
from .models import (
    POOLED,
    Action,
    ArmPrior,
    BanditConfig,
    Outcome,
    Posterior,
    Recommendation,
    RewardEvent,
)


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_es", "name_en", "alert_kinds", "active", "sort_order")
    list_editable = ("active", "sort_order")
    search_fields = ("code", "name_es", "name_en")


@admin.register(BanditConfig)
class BanditConfigAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "default_alpha",
        "default_beta",
        "backoff_strength",
        "discount",
        "engagement_weight",
        "outcome_weeks",
        "last_folded_at",
    )
    readonly_fields = ("last_folded_at",)

    def has_add_permission(self, request):
        return not BanditConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ArmPriorForm(forms.ModelForm):
    """A prior as a sales person states it: how often the action works, and how sure we are
    (in equivalent past cases); alpha and beta follow."""

    mean = forms.FloatField(
        label="mean success rate",
        help_text="Share of such cases in which the action works, strictly between 0 and 1 "
        "(e.g. 0.35).",
    )
    strength = forms.FloatField(
        label="strength (equivalent past cases)",
        help_text="How many past cases this belief weighs like; the evidence of that many "
        "outcomes moves the posterior halfway. More than 0.",
    )

    class Meta:
        model = ArmPrior
        fields = ("context", "action", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["mean"].initial = round(self.instance.mean, 4)
            self.fields["strength"].initial = round(self.instance.strength, 4)

    def clean_mean(self):
        mean = self.cleaned_data["mean"]
        if not 0 < mean < 1:
            raise forms.ValidationError(
                "The mean success rate must be strictly between 0 and 1 (e.g. 0.35)."
            )
        return mean

    def clean_strength(self):
        strength = self.cleaned_data["strength"]
        if not strength > 0:
            raise forms.ValidationError(
                "The strength must be more than 0 equivalent past cases (e.g. 8)."
            )
        return strength

    def clean(self):
        data = super().clean()
        if "mean" in data and "strength" in data:
            self.instance.alpha = data["mean"] * data["strength"]
            self.instance.beta = (1 - data["mean"]) * data["strength"]
        return data


@admin.register(ArmPrior)
class ArmPriorAdmin(admin.ModelAdmin):
    form = ArmPriorForm
    list_display = ("context", "action", "mean_", "strength_", "beta_", "note")
    list_filter = ("action",)
    search_fields = ("context", "note")
    fields = ("context", "action", "mean", "strength", "beta_", "note")
    readonly_fields = ("beta_",)
    actions = ["reset_to_prior"]

    @admin.display(description="mean success rate")
    def mean_(self, obj):
        return f"{obj.mean:.2f}"

    @admin.display(description="strength (equivalent past cases)")
    def strength_(self, obj):
        return f"{obj.strength:g}"

    @admin.display(description="resulting Beta")
    def beta_(self, obj):
        if obj is None or obj.pk is None:
            return "Beta(mean x strength, (1 - mean) x strength)"
        return f"Beta({obj.alpha:.2f}, {obj.beta:.2f})"

    @admin.action(description="Reset the posteriors of the selected arms to their prior")
    def reset_to_prior(self, request, queryset):
        arms = Q(pk__in=[])
        for context, action_id in queryset.values_list("context", "action_id"):
            arms |= (
                Q(action_id=action_id)
                if context == POOLED
                else Q(context=context, action_id=action_id)
            )
        n = services.reset_to_prior(Posterior.objects.filter(arms))
        self.message_user(request, f"{n} posteriors reset to their prior.", messages.SUCCESS)


class PosteriorChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        selectors.attach_params(self.result_list)


@admin.register(Posterior)
class PosteriorAdmin(admin.ModelAdmin):
    """Read-only: posteriors change only when rewards are folded (or reset to their prior)."""

    list_display = (
        "context",
        "action",
        "alpha_",
        "beta_",
        "mean_",
        "successes_",
        "failures_",
        "n_events",
        "updated_at",
    )
    list_filter = ("action",)
    search_fields = ("context",)
    list_select_related = ("action",)
    actions = ["reset_to_prior"]
    fields = readonly_fields = (
        "context",
        "action",
        "alpha_",
        "beta_",
        "mean_",
        "successes_",
        "failures_",
        "n_events",
        "updated_at",
    )

    def get_changelist(self, request, **kwargs):
        return PosteriorChangeList

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "learning/",
                wrap(admin_learning.learning_view(self.admin_site)),
                name="recommender_posterior_learning",
            ),
            path(
                "learning/reset/",
                wrap(admin_learning.reset_view(self.admin_site)),
                name="recommender_posterior_learning_reset",
            ),
            *super().get_urls(),
        ]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            selectors.attach_params([obj])
        return obj

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="alpha")
    def alpha_(self, obj):
        return f"{obj.alpha:.2f}"

    @admin.display(description="beta")
    def beta_(self, obj):
        return f"{obj.beta:.2f}"

    @admin.display(description="posterior mean")
    def mean_(self, obj):
        return f"{obj.mean:.3f}"

    @admin.display(description="successes (discounted)")
    def successes_(self, obj):
        return f"{obj.successes:.2f}"

    @admin.display(description="failures (discounted)")
    def failures_(self, obj):
        return f"{obj.failures:.2f}"

    @admin.action(description="Reset the selected posteriors to their prior", permissions=["view"])
    def reset_to_prior(self, request, queryset):
        n = services.reset_to_prior(Posterior.objects.filter(pk__in=queryset.values("pk")))
        self.message_user(request, f"{n} posteriors reset to their prior.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ("alert", "action", "context", "propensity", "confidence", "created_at")
    list_filter = ("action",)
    search_fields = ("context",)
    list_select_related = ("alert__client", "alert__family", "action")
    raw_id_fields = ("alert",)


@admin.register(RewardEvent)
class RewardEventAdmin(ReadOnlyAdmin):
    list_display = ("kind", "context", "action", "successes", "failures", "created_at", "folded_at")
    list_filter = ("kind", "action")
    search_fields = ("context",)
    raw_id_fields = ("feedback", "recommendation")


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdmin):
    list_display = (
        "alert",
        "action",
        "context",
        "window_start",
        "units_per_week",
        "threshold_units_per_week",
        "recovered",
    )
    list_filter = ("recovered", "action")
    raw_id_fields = ("feedback", "alert")


from .launch import admin as launch_admin  # noqa: E402, F401 (registers the launch admin)
from .propensity import admin as propensity_admin  # noqa: E402, F401
