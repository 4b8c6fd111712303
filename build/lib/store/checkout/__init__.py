"""Oscar's checkout, forked: orders are paid with Stripe and marked paid by its webhook."""
