"""The manager's pipeline page: win rates with intervals, forecast, risky deals.

Thin: visibility and figures come from :mod:`deals.reports`; ``?by=`` switches the win-rate
breakdown, and an htmx request gets only that table back.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html, format_html_join
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


def monthly_chart(months):
    """SVG bars per month: deals created (light) against deals closed, won and lost."""
    if not months:
        return ""
    top = max(max(m["created"], m["won"] + m["lost"]) for m in months) or 1
    width, height, step = 640, 150, 640 / len(months)
    bars = []
    for i, m in enumerate(months):
        x = i * step
        h_new = 120 * m["created"] / top
        h_won = 120 * m["won"] / top
        h_lost = 120 * m["lost"] / top
        bars.append(
            (
                f"{x + 4:.1f}",
                f"{130 - h_new:.1f}",
                f"{step / 2 - 5:.1f}",
                f"{h_new:.1f}",
                f"{x + step / 2:.1f}",
                f"{130 - h_won - h_lost:.1f}",
                f"{h_lost:.1f}",
                f"{130 - h_won:.1f}",
                f"{h_won:.1f}",
                f"{x + step / 2:.1f}",
                m["month"][2:],
                _("%(month)s: %(new)s new, %(won)s won, %(lost)s lost")
                % {"month": m["month"], "new": m["created"], "won": m["won"], "lost": m["lost"]},
            )
        )
    body = format_html_join(
        "",
        "<g><title>{11}</title>"
        '<rect class="new" x="{0}" y="{1}" width="{2}" height="{3}" fill="#c7d2fe"/>'
        '<rect class="lost" x="{4}" y="{5}" width="{2}" height="{6}" fill="#fca5a5"/>'
        '<rect class="won" x="{4}" y="{7}" width="{2}" height="{8}" fill="#059669"/>'
        '<text x="{9}" y="146" font-size="10" text-anchor="middle" fill="#64748b">{10}</text></g>',
        bars,
    )
    return format_html(
        '<svg class="deal-chart monthly" viewBox="0 0 {0} {1}" width="{0}" height="{1}" '
        'role="img" aria-labelledby="monthly-t">'
        '<title id="monthly-t">{2}</title>{3}</svg>',
        width,
        height,
        _("Deals created against deals closed (won, lost) per month"),
        body,
    )


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
        context["monthly_chart"] = monthly_chart(summary["months"])
        response = render(request, "web/deals/pipeline.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
