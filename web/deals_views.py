"""The manager's pipeline page: win rates with intervals, forecast, risky deals.

Thin: visibility and figures come from :mod:`deals.reports`; ``?by=`` switches the win-rate
breakdown, and an htmx request gets only that table back.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from deals import narratives, reports

DIMENSION_LABELS = {
    "segment": _("Segment"),
    "region": _("Region"),
    "lead_source": _("Lead source"),
    "owner": _("Rep"),
    "size": _("Deal size"),
    "family": _("Product family"),
}


def _scale(forecast, naive):
    """Positions (0-100) of the forecast interval, its centre and the naive sum on one axis."""
    top = max(forecast["hi"], naive, 1.0) * 1.1
    return {
        "lo": 100 * forecast["lo"] / top,
        "width": 100 * (forecast["hi"] - forecast["lo"]) / top,
        "expected": 100 * forecast["expected"] / top,
        "naive": 100 * naive / top,
    }


@login_required
@require_GET
def pipeline(request):
    by = request.GET.get("by", "segment")
    table = reports.win_rate_table(request.user, by)
    context = {"table": table, "dimensions": DIMENSION_LABELS.items()}
    if request.htmx and not request.htmx.boosted:
        response = render(request, "web/deals/partials/win_rates.html", context)
    else:
        summary = reports.summary(request.user)
        language = get_language() or "es"
        for score in summary["risky"]:
            score.drivers_text = narratives.drivers_text(score.drivers, language)
        context.update(summary)
        context["scale"] = _scale(summary["forecast"], summary["naive"])
        response = render(request, "web/deals/pipeline.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
