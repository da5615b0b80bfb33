"""Admin pages of what the bandit learned: prior against posterior per context, a reset with
confirmation, and a "what if" box. Mounted under the Posterior admin (see ``admin.py``)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Alert, ProductFamily

from . import charts, selectors, services
from .models import MAGNITUDE_BUCKETS, MATURITY_BUCKETS, MIXED, UNKNOWN, Posterior

#: The alert kinds the recommender knows without asking the engines (twins' codes).
KNOWN_KINDS = (
    "partial_churn",
    "full_churn",
    "technical_deterioration",
    "suspicious_pause",
    "uncaptured_potential",
    "cross_family_decline",
    "campaign_no_response",
    "cross_sell",
)


def kind_choices():
    """Alert kinds as (code, label): the Alert field's choices, plus any known code missing."""
    found = [(str(code), str(label)) for code, label in Alert._meta.get_field("kind").choices]
    have = {code for code, _label in found}
    return found + [(code, code) for code in KNOWN_KINDS if code not in have]


def _require_view(request):
    if not request.user.has_perm("recommender.view_posterior"):
        raise PermissionDenied


class WhatIfForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Alert kind"), choices=kind_choices)
    family_kind = forms.ChoiceField(
        label=gettext_lazy("Family kind"),
        choices=[*ProductFamily.Kind.choices, (MIXED, "mixed"), (UNKNOWN, "na")],
    )
    maturity = forms.ChoiceField(
        label=gettext_lazy("Client maturity"),
        choices=[(name, name) for _b, name in MATURITY_BUCKETS] + [(UNKNOWN, UNKNOWN)],
    )
    magnitude = forms.ChoiceField(
        label=gettext_lazy("Magnitude"),
        choices=[(name, name) for _b, name in MAGNITUDE_BUCKETS] + [(UNKNOWN, UNKNOWN)],
    )

    @classmethod
    def from_context(cls, context):
        parts = context.split("|")
        keys = ("kind", "family_kind", "maturity", "magnitude")
        return cls(dict(zip(keys, parts, strict=False)))

    def context(self):
        d = self.cleaned_data
        return f"{d['kind']}|{d['family_kind']}|{d['maturity']}|{d['magnitude']}"


def learning_view(admin_site):
    """The page: one chart and table per context, the what-if box (wrap in admin_view)."""

    def view(request):
        _require_view(request)
        kind = request.GET.get("kind") or ""
        summary = selectors.learning_summary(kind=kind or None)
        for block in summary:
            block["chart"] = mark_safe(  # noqa: S308 - built from escaped parts
                charts.learning_chart(block["rows"], title=block["context"])
            )
            block["reset_url"] = (
                reverse("admin:recommender_posterior_learning_reset")
                + "?"
                + urlencode({"context": block["context"]})
            )
        what_if, probabilities = None, None
        if "whatif" in request.GET:
            what_if = WhatIfForm(request.GET)
            if what_if.is_valid():
                probabilities = services.what_if(what_if.context())
        elif summary:
            what_if = WhatIfForm.from_context(summary[0]["context"])
        else:
            what_if = WhatIfForm()
        context = {
            **admin_site.each_context(request),
            "title": _("What the bandit has learned"),
            "is_nav_sidebar_enabled": False,
            "summary": summary,
            "kinds": kind_choices(),
            "kind": kind,
            "what_if": what_if,
            "probabilities": probabilities,
            "what_if_context": what_if.context() if probabilities is not None else "",
            "opts": Posterior._meta,
        }
        return TemplateResponse(request, "admin/recommender/learning.html", context)

    return view


def reset_view(admin_site):
    """Confirm, then forget one context's evidence (wrap in admin_view)."""

    def view(request):
        _require_view(request)
        context_name = request.POST.get("context") or request.GET.get("context") or ""
        arms = Posterior.objects.filter(context=context_name)
        back = reverse("admin:recommender_posterior_learning")
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            n = services.reset_to_prior(arms)
            messages.success(
                request,
                _("%(n)d posteriors of %(context)s reset to their prior.")
                % {"n": n, "context": context_name},
            )
            return HttpResponseRedirect(back)
        context = {
            **admin_site.each_context(request),
            "title": _("Reset to prior?"),
            "context_name": context_name,
            "arms": arms.select_related("action"),
            "back": back,
            "opts": Posterior._meta,
        }
        return TemplateResponse(request, "admin/recommender/learning_reset.html", context)

    return view
