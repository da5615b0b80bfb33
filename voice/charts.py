"""SVG of a client's NPS answers over time (the alert's chart and the client page's trend)."""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from crm import kinds

WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 360, 130, 28, 10, 22


def _dot(n):
    """CSS class and fill of a dot: red detractor, amber passive, green promoter."""
    if n <= 6:
        return "nps-dot det", "#dc2626"
    return ("nps-dot pas", "#d97706") if n <= 8 else ("nps-dot pro", "#059669")


def nps_trend(points, chart_id="nps"):
    """``points``: ``[(iso date, nps 0-10), ...]`` oldest first; '' when there are none.

    Dots joined by a line over a shaded detractor zone (0-6); each dot has a tooltip."""
    points = [(str(d), int(n)) for d, n in points or () if n is not None][-24:]
    if not points:
        return ""
    inner_w, inner_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(points) - 1, 1)

    def y(n):
        return TOP + inner_h * (1 - n / 10)

    coords = [
        (LEFT + (i * step if len(points) > 1 else inner_w / 2), y(n), d, n)
        for i, (d, n) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy, _d, _n in coords)
    dots = format_html_join(
        "",
        '<circle cx="{0}" cy="{1}" r="4" class="{2}" fill="{5}">'
        "<title>{3}: NPS {4}</title></circle>",
        ((f"{x:.1f}", f"{yy:.1f}", _dot(n)[0], d, n, _dot(n)[1]) for x, yy, d, n in coords),
    )
    ticks = format_html_join(
        "",
        '<text x="{0}" y="{1}" font-size="10" text-anchor="end" fill="#64748b">{2}</text>',
        ((LEFT - 4, f"{y(n) + 3:.1f}", n) for n in (0, 6, 10)),
    )
    first, last = points[0][0], points[-1][0]
    return format_html(
        '<svg class="nps-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{cid}-t {cid}-d"><title id="{cid}-t">{title}</title>'
        '<desc id="{cid}-d">{desc}</desc>'
        '<rect x="{left}" y="{zone_y}" width="{iw}" height="{zone_h}" fill="#fee2e2"/>'
        '<polyline points="{line}" fill="none" stroke="#475569" stroke-width="1.5"/>'
        "{dots}{ticks}"
        '<text x="{left}" y="{by}" font-size="10" fill="#64748b">{first}</text>'
        '<text x="{right}" y="{by}" font-size="10" text-anchor="end" fill="#64748b">{last}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        cid=chart_id,
        title=_("NPS answers over time"),
        desc=_("%(n)s answers from %(first)s to %(last)s; the shaded band is 0-6 (detractors).")
        % {"n": len(points), "first": first, "last": last},
        left=LEFT,
        zone_y=f"{y(6):.1f}",
        iw=f"{inner_w:.1f}",
        zone_h=f"{y(0) - y(6):.1f}",
        line=line,
        dots=dots,
        ticks=ticks,
        first=first,
        last=last,
        by=HEIGHT - 6,
        right=WIDTH - 8,
    )


def nps_chart(evidence, chart_id="chart"):
    """The detractor alert's chart: the client's NPS history stored in its evidence."""
    svg = nps_trend((evidence or {}).get("nps_history") or (), chart_id)
    if not svg:
        return None
    return kinds.Chart(svg=svg, title=_("The client's NPS answers"))
