"""Server-side SVG charts of a twin alert's evidence: no JavaScript, readable, accessible.

``commodity_chart`` and ``technical_chart`` take the evidence stored on the alert and return
safe SVG markup (or an empty string when the evidence has nothing to draw); :func:`alert_chart`
is the chart every twins kind registers in ``crm.kinds``: it picks the one that suits the
evidence and adds its title, legend and the table of numbers. Colours come from CSS classes in
``static/css/app.css``.
"""

import math
from datetime import date
from html import escape

from django.utils import dateformat
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.kinds import Chart

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 64, 18, 42


def _nice_ticks(top, count=4):
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _num(value, digits=0):
    return number_format(round(value, digits), decimal_pos=digits, use_l10n=True)


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _parse_day(value):
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class _Frame:
    """Maps data to pixels for ``n`` slots on the x axis and ``0..ymax`` on the y axis."""

    def __init__(self, n, ymax):
        self.n = max(n, 1)
        self.ticks = _nice_ticks(ymax)
        self.ymax = self.ticks[-1]
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.step = self.plot_w / self.n

    def x(self, i):
        return LEFT + self.step * (i + 0.5)

    def y(self, value):
        return TOP + self.plot_h * (1 - min(max(value, 0), self.ymax) / self.ymax)

    def grid(self, unit_label):
        parts = []
        for t in self.ticks:
            y = self.y(t)
            parts.append(
                f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
                f"{_num(t, 0 if t >= 10 or float(t).is_integer() else 1)}</text>"
            )
        parts.append(
            f'<text class="axis-label" x="14" y="{TOP + self.plot_h / 2:.1f}" '
            f'transform="rotate(-90 14 {TOP + self.plot_h / 2:.1f})" text-anchor="middle">'
            f"{escape(unit_label)}</text>"
        )
        return "".join(parts)


def _svg(chart_id, title, desc, body):
    return mark_safe(
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def weekly_rows(evidence):
    """The ``recent_weeks`` of commodity evidence as clean dicts, oldest first."""
    rows = []
    for week in evidence.get("recent_weeks") or []:
        rows.append(
            {
                "week_start": _parse_day(week.get("week_start")),
                "units": _float(week.get("units")),
                "expected": _float(week.get("expected")),
                "p5": _float(week.get("p5")),
                "p95": _float(week.get("p95")),
                "campaign": bool(week.get("campaign")),
                "out_of_band": bool(week.get("out_of_band")),
            }
        )
    return rows


def commodity_chart(evidence, chart_id="chart"):
    """Units bought per week against the twin's P5-P95 band and expected line."""
    rows = weekly_rows(evidence)
    if not rows:
        return ""
    top = max(max(r["units"], r["p95"], r["expected"]) for r in rows) * 1.08
    f = _Frame(len(rows), top)
    parts = [f.grid(_("units per week"))]
    bar_w = max(f.step * 0.56, 2)
    campaign, units = escape(_("Campaign week")), _("units")
    for i, r in enumerate(rows):
        if r["campaign"]:
            parts.append(
                f'<rect class="campaign" x="{LEFT + f.step * i:.1f}" y="{TOP}" '
                f'width="{f.step:.1f}" height="{f.plot_h:.1f}"><title>{campaign}</title></rect>'
            )
    upper = " ".join(f"{f.x(i):.1f},{f.y(r['p95']):.1f}" for i, r in enumerate(rows))
    lower = " ".join(f"{f.x(i):.1f},{f.y(r['p5']):.1f}" for i, r in reversed(list(enumerate(rows))))
    parts.append(f'<polygon class="band" points="{upper} {lower}"/>')
    for i, r in enumerate(rows):
        y = f.y(r["units"])
        label = r["week_start"].isoformat() if r["week_start"] else ""
        state = _("outside the band") if r["out_of_band"] else _("inside the band")
        tip = f"{label}: {_num(r['units'], 1)} {units} ({state}); " + _(
            "expected %(expected)s, band %(low)s–%(high)s"
        ) % {
            "expected": _num(r["expected"], 1),
            "low": _num(r["p5"], 1),
            "high": _num(r["p95"], 1),
        }
        css = "bar out" if r["out_of_band"] else "bar"
        parts.append(
            f'<rect class="{css}" x="{f.x(i) - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{max(TOP + f.plot_h - y, 0):.1f}" rx="2"><title>{escape(tip)}</title></rect>'
        )
        if r["out_of_band"]:
            parts.append(f'<circle class="out-mark" cx="{f.x(i):.1f}" cy="{y - 7:.1f}" r="3.5"/>')
    expected = " ".join(f"{f.x(i):.1f},{f.y(r['expected']):.1f}" for i, r in enumerate(rows))
    parts.append(f'<polyline class="expected" points="{expected}"/>')
    for i, r in enumerate(rows):
        last = i == len(rows) - 1 and i % 4 >= 2
        if r["week_start"] and (i % 4 == 0 or last):
            parts.append(
                f'<text class="tick" x="{f.x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(dateformat.format(r["week_start"], "j M"))}</text>'
            )
    outside = sum(r["out_of_band"] for r in rows)
    title = _("Units per week, last %(n)d weeks, against the expected band") % {"n": len(rows)}
    desc = _(
        "%(outside)d of %(n)d weeks fall outside the P5–P95 band; %(campaigns)d campaign weeks."
    ) % {"outside": outside, "n": len(rows), "campaigns": sum(r["campaign"] for r in rows)}
    return _svg(chart_id, title, desc, "".join(parts))


def technical_chart(evidence, chart_id="chart"):
    """Days between past purchases, the current silence, and the P75 / P90 gap lines."""
    gaps = [_float(g) for g in evidence.get("gaps_days") or []][-25:]
    silence = evidence.get("current_silence_days")
    p75, p90 = _float(evidence.get("p75_gap_days")), _float(evidence.get("p90_gap_days"))
    if not gaps and silence is None:
        return ""
    silence = _float(silence)
    values = gaps + [silence]
    f = _Frame(len(values), max(*values, p90, p75) * 1.12)
    parts = [f.grid(_("days between purchases"))]
    bar_w = max(f.step * 0.56, 2)
    for i, days in enumerate(values):
        is_now = i == len(values) - 1
        css = "bar"
        if is_now:
            css = "bar now" + (" out" if p90 and days > p90 else " warn" if days > p75 else "")
        tip = (_("Current silence: %(days)s days") if is_now else _("Gap of %(days)s days")) % {
            "days": _num(days)
        }
        y = f.y(days)
        parts.append(
            f'<rect class="{css}" x="{f.x(i) - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{max(TOP + f.plot_h - y, 0):.1f}" rx="2"><title>{escape(tip)}</title></rect>'
        )
    last, now, older = len(values) - 1, escape(_("now")), escape(_("older"))
    parts.append(
        f'<text class="tick strong" x="{f.x(last):.1f}" y="{HEIGHT - BOTTOM + 18}" '
        f'text-anchor="middle">{now}</text>'
        f'<text class="tick" x="{f.x(0):.1f}" y="{HEIGHT - BOTTOM + 18}" '
        f'text-anchor="middle">{older}</text>'
    )
    for name, value, css in (("P75", p75, "p75"), ("P90", p90, "p90")):
        if value:
            y = f.y(value)
            parts.append(
                f'<line class="threshold {css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/><text class="threshold-label {css}" '
                f'x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}">{name} {_num(value)}d</text>'
            )
    title = _("Days between purchases and the current silence")
    desc = _(
        "%(n)d past gaps; the current silence is %(silence)s days against P75 %(p75)s "
        "and P90 %(p90)s days."
    ) % {"n": len(gaps), "silence": _num(silence), "p75": _num(p75), "p90": _num(p90)}
    return _svg(chart_id, title, desc, "".join(parts))


def _cell(value, digits):
    return number_format(
        round(value, digits), decimal_pos=digits, use_l10n=True, force_grouping=True
    )


def weeks_table(rows):
    """The numbers behind :func:`commodity_chart`, one row per week (safe HTML)."""
    head = format_html(
        '<thead><tr><th scope="col">{}</th><th class="num" scope="col">{}</th>'
        '<th class="num" scope="col">{}</th><th class="num" scope="col">P5</th>'
        '<th class="num" scope="col">P95</th><th scope="col">{}</th></tr></thead>',
        _("Week"),
        _("Units"),
        _("Expected"),
        _("Notes"),
    )
    out_badge = format_html('<span class="badge status-dismissed">{}</span>', _("out of band"))
    campaign_badge = format_html('<span class="badge campaign">{}</span>', _("campaign"))
    body = format_html_join(
        "",
        '<tr{}><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td>{} {}</td></tr>',
        (
            (
                mark_safe(' class="out"') if w["out_of_band"] else "",
                dateformat.format(w["week_start"], "j M Y") if w["week_start"] else "",
                _cell(w["units"], 0),
                _cell(w["expected"], 1),
                _cell(w["p5"], 1),
                _cell(w["p95"], 1),
                out_badge if w["out_of_band"] else "",
                campaign_badge if w["campaign"] else "",
            )
            for w in rows
        ),
    )
    return format_html('<table class="compact">{}<tbody>{}</tbody></table>', head, body)


WEEKS_LEGEND = (
    ("bar", gettext_lazy("Units bought")),
    ("out", gettext_lazy("Outside the band")),
    ("band", gettext_lazy("Usual band (P5–P95)")),
    ("expected", gettext_lazy("Expected")),
    ("campaign", gettext_lazy("Campaign week")),
)
GAPS_LEGEND = (
    ("bar", gettext_lazy("Past gaps")),
    ("out", gettext_lazy("Current silence")),
    ("p75", "P75"),
    ("p90", "P90"),
)


def alert_chart(evidence, chart_id="chart"):
    """The chart that suits a twin alert's evidence (weeks or gaps), or ``None``."""
    evidence = evidence or {}
    if evidence.get("recent_weeks"):
        svg = commodity_chart(evidence, chart_id)
        if svg:
            return Chart(
                svg=svg,
                title=_("Last weeks against the usual band"),
                legend=WEEKS_LEGEND,
                table=weeks_table(weekly_rows(evidence)),
            )
    if evidence.get("gaps_days") or evidence.get("current_silence_days") is not None:
        svg = technical_chart(evidence, chart_id)
        if svg:
            return Chart(svg=svg, title=_("Gaps between purchases"), legend=GAPS_LEGEND)
    return None
