"""``{% voice_client client %}``: the client page's voice section (surveys with their NPS
trend, notes with their sentiment marker), so the page needs one include line and its view
no change."""

from django import template
from django.utils.translation import get_language

from voice import charts, narratives, selectors

register = template.Library()


@register.inclusion_tag("web/voice/client_voice.html")
def voice_client(client):
    data = selectors.client_voice(client)
    language = get_language() or "es"
    for survey in data["surveys"]:
        analysis = getattr(survey, "analysis", None)
        survey.theme_labels = [
            narratives.theme_label(t, language) for t in (analysis.themes if analysis else [])
        ]
    data["trend"] = charts.nps_trend(data["points"], f"nps-{client.pk}")
    data["client"] = client
    return data


@register.filter
def sentiment_mark(label):
    """A marker for a sentiment label: ▲ positive, ▼ negative, ● neutral."""
    return {"pos": "▲", "neg": "▼"}.get(label, "●")
