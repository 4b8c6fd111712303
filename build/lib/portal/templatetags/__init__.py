"""Template tags of the customer portal."""
