"""``{% client_insights client %}``: the client page's segment and churn-risk section."""

from django import template

from insights import narratives
from insights import selectors as insights

register = template.Library()


@register.inclusion_tag("web/insights/client_section.html")
def client_insights(client):
    data = insights.client_insights(client)
    score = data["score"]
    reasons = []
    if score:
        reasons = [narratives.reason_text(n, v) for n, v, *_ in score.reasons]
    return {
        **data,
        "reasons": reasons,
        "tier_label": narratives.tier_label(score.tier) if score else "",
    }
