"""Background job of recommendations: recompute each tenant's tables from its orders."""

from celery import shared_task

from store.recommendations import compute


@shared_task(name="store.recommendations.tasks.recompute_recommendations")
def recompute_recommendations() -> dict[str, float]:
    """Periodic, per tenant: relearn products bought together and best sellers."""
    run = compute.recompute()
    return {"orders": run.orders, "pairs": run.pairs, "best_sellers": run.best_sellers,
            "seconds": run.seconds}
