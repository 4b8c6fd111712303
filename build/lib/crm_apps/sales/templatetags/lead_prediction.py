"""The predicted score of one lead with the factors behind it, for the lead's page."""

from django import template

from crm_apps.sales import prediction

register = template.Library()


@register.simple_tag
def lead_prediction(lead, user) -> dict | None:
    """``{"score", "factors", "run"}`` while the tenant has an active model, else None."""
    if lead.predicted_score is None:
        return None
    bundle = prediction.active_model()
    if bundle is None:
        return None
    return {"score": lead.predicted_score, "run": bundle["run"],
            "factors": prediction.explain(lead, user, bundle=bundle)}
