"""Stripe payments: per-tenant keys or Connect, our payment records and verified webhook events."""
