"""The manager's voice-of-the-client page: NPS over time, complaint themes per month and
territory, and detractors nobody has contacted yet. Thin: figures from
:mod:`voice.selectors`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from voice import narratives, selectors
from voice.models import VoiceRun


def as_of_date():
    """The date of the latest voice run (its data), else today."""
    run = VoiceRun.objects.filter(status=VoiceRun.Status.SUCCEEDED).order_by("-started_at").first()
    return (run.as_of if run else timezone.localdate()), run


def nps_month_chart(months):
    """SVG bars of the NPS per month (-100..+100, zero line in the middle); months without
    enough answers are drawn as an empty slot."""
    if not months:
        return ""
    width, height, step = 640, 170, 640 / len(months)
    mid = 80

    def bar(i, m):
        x = i * step + 6
        w = step - 12
        if m["nps"] is None:
            return (
                x,
                mid - 1,
                w,
                2,
                "nps-bar none",
                m["month"][2:],
                x + w / 2,
                _("%(month)s: too few answers (%(n)s)") % {"month": m["month"], "n": m["n"]},
                "",
            )
        h = 70 * abs(m["nps"]) / 100
        y = mid - h if m["nps"] >= 0 else mid
        label = _("%(month)s: NPS %(nps)s from %(n)s answers") % {
            "month": m["month"],
            "nps": f"{m['nps']:+.0f}",
            "n": m["n"],
        }
        cls = "nps-bar pos" if m["nps"] >= 0 else "nps-bar neg"
        return (x, y, w, max(h, 1), cls, m["month"][2:], x + w / 2, label, f"{m['nps']:+.0f}")

    def fmt(values):
        return tuple(f"{v:.1f}" if isinstance(v, float) else v for v in values)

    bars = format_html_join(
        "",
        '<g><title>{7}</title><rect class="{4}" x="{0}" y="{1}" width="{2}" '
        'height="{3}"/><text x="{6}" y="166" font-size="10" text-anchor="middle" '
        'fill="#64748b">{5}</text><text x="{6}" y="{1}" dy="-3" font-size="10" '
        'text-anchor="middle" fill="#334155">{8}</text></g>',
        (fmt(bar(i, m)) for i, m in enumerate(months)),
    )
    return format_html(
        '<svg class="nps-months" viewBox="0 0 {0} {1}" width="100%" height="{1}" role="img" '
        'aria-labelledby="nps-months-t"><title id="nps-months-t">{2}</title>'
        '<line x1="0" x2="{0}" y1="80" y2="80" stroke="#94a3b8"/>{3}</svg>',
        width,
        height,
        _("NPS per month (promoters minus detractors, %)"),
        bars,
    )


@login_required
@require_GET
def voice_page(request):
    if request.user.is_rep:
        raise Http404("Only managers see the voice-of-the-client page.")
    as_of, run = as_of_date()
    months = selectors.nps_by_month(request.user, as_of)
    table, terms = selectors.complaint_themes(request.user, as_of)
    themes, theme_rows = selectors.themes_matrix(table)
    language = get_language() or "es"
    context = {
        "as_of": as_of,
        "run": run,
        "summary": selectors.summary(request.user, as_of),
        "months": months,
        "month_chart": nps_month_chart(months),
        "themes": [narratives.theme_label(t, language) for t in themes],
        "theme_rows": theme_rows,
        "terms": terms,
        "detractors": selectors.detractors_not_contacted(request.user, as_of),
    }
    return render(request, "web/voice/page.html", context)
