"""Quotes: priced offers to an account, in versions, accepted by the customer into an order."""
