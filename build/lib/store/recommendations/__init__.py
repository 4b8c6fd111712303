"""Product recommendations learned from each tenant's own orders ("customers also bought",
"recommended for you", best sellers)."""
