"""Server-rendered SVG of what the bandit learned: prior against posterior, per action."""

from django.utils.html import escape

WIDTH, LABEL, ROW, TOP = 560, 150, 26, 24


def _x(rate):
    return LABEL + max(0.0, min(1.0, rate)) * (WIDTH - LABEL - 16)


def learning_chart(rows, title=""):
    """One line per action: the prior's mean and 90 % interval (grey, hollow) above the
    posterior's (blue, filled), on a 0-100 % success-rate axis.

    ``rows``: dicts with ``label``, ``prior_mean``, ``prior_low``, ``prior_high``, ``mean``,
    ``low``, ``high`` (rates in 0..1). Returns SVG markup.
    """
    height = TOP + ROW * len(rows) + 22
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bandit-chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = _x(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 20}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{height - 6}" font-size="10" text-anchor="middle" '
            f'fill="#666">{tick:.0%}</text>'
        )
    for n, r in enumerate(rows):
        y = TOP + ROW * n
        out.append(
            f'<text x="{LABEL - 8}" y="{y + 8}" font-size="12" text-anchor="end" '
            f'fill="#222">{escape(r["label"])}</text>'
            # prior: thin grey line, hollow diamond
            f'<line x1="{_x(r["prior_low"]):.1f}" y1="{y + 1}" x2="{_x(r["prior_high"]):.1f}" '
            f'y2="{y + 1}" stroke="#999" stroke-width="2" class="prior"/>'
            f'<path d="M{_x(r["prior_mean"]):.1f} {y - 3} l4 4 l-4 4 l-4 -4 z" fill="#fff" '
            'stroke="#777" stroke-width="1.5"/>'
            # posterior: thick blue line, filled dot
            f'<line x1="{_x(r["low"]):.1f}" y1="{y + 11}" x2="{_x(r["high"]):.1f}" '
            f'y2="{y + 11}" stroke="#2f6fb3" stroke-width="4" class="posterior"/>'
            f'<circle cx="{_x(r["mean"]):.1f}" cy="{y + 11}" r="4.5" fill="#174a7e"/>'
        )
    out.append("</svg>")
    return "".join(out)
