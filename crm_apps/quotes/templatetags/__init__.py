"""Template tags of quotes."""
