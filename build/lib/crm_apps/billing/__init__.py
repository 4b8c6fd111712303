"""Invoices, payments and refunds of customer accounts."""
