"""The manager's "Insights" page: segments (table, clients per segment over time), churn-risk
tiers by rep, the clients most at risk and the territory and province ranking. Thin: figures
come from :mod:`insights.selectors` and :mod:`insights.territory`.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from crm import selectors
from insights import selectors as insights
from insights import territory as territories
from insights.models import SEGMENT_LABELS, Segment

#: Colours of the segment codes in the charts.
SEGMENT_COLORS = {
    "at_risk": "#dc2626",
    "premium_regulars": "#4f46e5",
    "growing": "#059669",
    "single_family": "#d97706",
    "occasional": "#64748b",
    "steady": "#0ea5e9",
    "lapsed": "#7f1d1d",
    "declining": "#f97316",
    "small_regulars": "#a3a3a3",
}
TIER_COLORS = {"high": "#dc2626", "medium": "#f59e0b", "low": "#10b981"}
TERRITORY_TIER_COLORS = {"premium": "#4f46e5", "standard": "#0ea5e9", "underperforming": "#dc2626"}
TERRITORY_TIER_LABELS = {
    "premium": gettext_lazy("Premium"),
    "standard": gettext_lazy("Standard"),
    "underperforming": gettext_lazy("Underperforming"),
}


def _color(code):
    return SEGMENT_COLORS.get(code, "#94a3b8")


def segments_chart(over_time, labels):
    """Stacked bars: clients per segment at each refit date (SVG, safe markup)."""
    if not over_time:
        return ""
    dates = list(over_time)
    top = max(sum(v.values()) for v in over_time.values()) or 1
    width, step = 640, 640 / len(dates)
    rects = []
    for i, d in enumerate(dates):
        y = 140.0
        for code in labels:
            n = over_time[d].get(code, 0)
            h = 120 * n / top
            y -= h
            rects.append(
                (
                    f"{i * step + 6:.1f}",
                    f"{y:.1f}",
                    f"{max(step - 12, 2):.1f}",
                    f"{h:.1f}",
                    _color(code),
                    f"{labels[code]}: {n}",
                )
            )
    bars = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>', rects
    )
    ticks = format_html_join(
        "",
        '<text class="tick" x="{}" y="156" text-anchor="middle">{}</text>',
        ((f"{i * step + step / 2:.1f}", d.strftime("%d/%m")) for i, d in enumerate(dates)),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} 160" role="img" aria-labelledby="seg-chart-t">'
        '<title id="seg-chart-t">{}</title>{}{}</svg>',
        width,
        ", ".join(str(v) for v in labels.values()),
        bars,
        ticks,
    )


def tiers_chart(rows):
    """Horizontal stacked bars: clients per churn tier for each rep (SVG, safe markup)."""
    if not rows:
        return ""
    top = max(r["high"] + r["medium"] + r["low"] for r in rows) or 1
    height = 28 * len(rows) + 8
    parts = []
    for i, r in enumerate(rows):
        x = 120.0
        for code in ("high", "medium", "low"):
            w = 500 * r[code] / top
            parts.append(
                (
                    f"{x:.1f}",
                    f"{i * 28 + 6}",
                    f"{w:.1f}",
                    TIER_COLORS[code],
                    f"{r['name']} · {r[code]}",
                )
            )
            x += w
    bars = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="20" fill="{}"><title>{}</title></rect>', parts
    )
    names = format_html_join(
        "",
        '<text class="tick" x="114" y="{}" text-anchor="end">{}</text>',
        ((i * 28 + 20, r["name"]) for i, r in enumerate(rows)),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 640 {}" role="img"><title>{}</title>{}{}</svg>',
        height,
        "tiers",
        bars,
        names,
    )


def sparkline(values):
    """A small line of the last four quarters' scores, safe SVG markup. The vertical scale
    spans at least 20 score points, so that a change of one point stays a flat line."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if not pts:
        return ""
    lo, hi = min(v for _i, v in pts), max(v for _i, v in pts)
    span = max(hi - lo, 20.0)
    base = (lo + hi) / 2 - span / 2
    step = 60 / max(len(values) - 1, 1)
    xy = [(4 + i * step, 22 - 18 * (v - base) / span) for i, v in pts]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    text = " → ".join(f"{v:.0f}" for _i, v in pts)
    last_x, last_y = xy[-1]
    return format_html(
        '<svg class="spark" viewBox="0 0 68 26" width="68" height="26" role="img">'
        "<title>{}</title>"
        '<polyline points="{}" fill="none" stroke="#4f46e5" stroke-width="1.6"/>'
        '<circle cx="{}" cy="{}" r="2.4" fill="#4f46e5"/></svg>',
        text,
        line,
        f"{last_x:.1f}",
        f"{last_y:.1f}",
    )


def province_chart(rows, premium_above, underperforming_below):
    """Horizontal bars: each province's score, coloured by tier, with the tier bounds as
    dashed lines (SVG, safe markup)."""
    if not rows:
        return ""
    left, width, bar = 180, 760, 18
    height = (bar + 6) * len(rows) + 26
    parts = []
    for i, r in enumerate(rows):
        y = i * (bar + 6) + 4
        w = width * r["score"] / 100
        parts.append(
            format_html(
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-tier="{}">'
                "<title>{}: {} ({})</title></rect>"
                '<text class="tick" x="{}" y="{}">{}</text>',
                left - 6,
                y + 13,
                r["name"],
                left,
                y,
                f"{w:.1f}",
                bar,
                TERRITORY_TIER_COLORS[r["tier"]],
                r["tier"],
                r["name"],
                f"{r['score']:.0f}",
                TERRITORY_TIER_LABELS[r["tier"]],
                f"{left + w + 4:.1f}",
                y + 13,
                f"{r['score']:.0f}",
            )
        )
    bottom = height - 20
    for bound in (underperforming_below, premium_above):
        x = left + width * bound / 100
        parts.append(
            format_html(
                '<line x1="{}" y1="0" x2="{}" y2="{}" stroke="#64748b" '
                'stroke-dasharray="3 3"/><text class="tick" x="{}" y="{}" '
                'text-anchor="middle">{}</text>',
                f"{x:.1f}",
                f"{x:.1f}",
                bottom,
                f"{x:.1f}",
                bottom + 14,
                f"{bound:.0f}",
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 1000 {}" role="img"><title>{}</title>{}</svg>',
        height,
        _("Score by province"),
        format_html_join("", "{}", ((p,) for p in parts)),
    )


def territory_context(visible):
    """The page's territory ranking: rows with their tier label, sparkline and colour."""
    terr = territories.ranking("territory", visible)
    prov = territories.ranking("province", visible)
    weights = terr["weights"]
    terr["dates_label"] = ", ".join(date_format(d, "j M Y") for d in terr["dates"])
    for r in terr["rows"] + prov["rows"]:
        r["tier_label"] = TERRITORY_TIER_LABELS[r["tier"]]
        r["color"] = TERRITORY_TIER_COLORS[r["tier"]]
        r["spark"] = sparkline(r["trend"])
        r["change"] = (
            r["trend"][-1] - r["trend"][0]
            if len(r["trend"]) > 1 and None not in (r["trend"][0], r["trend"][-1])
            else None
        )
    return {
        "territory": terr,
        "province": prov,
        "territory_weights": weights,
        "territory_shares": weights.shares(),
        "territory_tier_colors": TERRITORY_TIER_COLORS,
        "province_chart": province_chart(
            prov["rows"], weights.premium_above, weights.underperforming_below
        ),
    }


@login_required
@require_GET
def insights_page(request):
    if request.user.is_rep:
        raise Http404("Only managers see the insights page.")
    visible = selectors.clients_visible_to(request.user)
    over_time = insights.segments_over_time(visible)
    codes = sorted({c for v in over_time.values() for c in v})
    by_code = {s.code: s for s in Segment.objects.filter(code__in=codes)}
    labels = {c: (by_code[c].label if c in by_code else SEGMENT_LABELS.get(c, c)) for c in codes}
    rows = insights.tiers_by_rep(visible)
    for r in rows:
        full = f"{r['client__rep__first_name']} {r['client__rep__last_name']}".strip()
        r["name"] = full or r["client__rep__username"] or "—"
    run = insights.latest_run()
    context = {
        "run": run,
        "has_signal": bool(run and run.model_info.get("has_signal")),
        "segments": insights.segment_table(),
        "over_time": [(d, [v.get(c, 0) for c in codes]) for d, v in over_time.items()],
        "segment_labels": [(c, labels[c], _color(c)) for c in codes],
        "segments_chart": segments_chart(over_time, labels),
        "tiers": insights.tiers(),
        "tier_rows": rows,
        "tier_colors": TIER_COLORS,
        "tiers_chart": tiers_chart(rows),
        "high_risk": insights.high_risk_clients(visible),
        **territory_context(visible),
    }
    return render(request, "web/insights/page.html", context)
