"""Periodic work on predictive lead scores: retraining each tenant's model on its own leads."""

from celery import shared_task

from crm_apps.sales import prediction


@shared_task(name="crm_apps.sales.prediction_tasks.retrain_lead_model")
def retrain_lead_model() -> dict:
    """Train on the closed leads of the tenant the beat runs this in, then rescore its open
    leads. A tenant with too little history is skipped (its leads keep a null score)."""
    run = prediction.train()
    return {"model": run.pk if run else None, "samples": run.n_samples if run else 0,
            "active": bool(run and run.active), "scored": prediction.score_open_leads()}
