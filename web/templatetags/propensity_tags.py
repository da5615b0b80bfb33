"""The client page's cross-sell card: ``{% client_propensity client as p %}``."""

from django import template
from django.utils.translation import get_language

from recommender.propensity import narratives, services

register = template.Library()


@register.simple_tag
def client_propensity(client):
    """The client's propensity per family not yet bought, with the reasons in the page's
    language, and the current model (``None`` before the first refit)."""
    model = services.current_model()
    lang = get_language() or "es"
    rows = []
    for s in services.client_propensities(client):
        rows.append(
            {
                "family": s.family,
                "probability": s.probability,
                "expected_value": s.expected_value,
                "at_stake": s.at_stake,
                "reasons": narratives.reasons_text(s.reasons, s.family.name, lang),
                "bundle": s.bundle_family,
            }
        )
    return {"model": model, "rows": rows, "has_signal": bool(model and model.kind != "none")}
