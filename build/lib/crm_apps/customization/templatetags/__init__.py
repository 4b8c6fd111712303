"""Template tags of custom and hidden fields."""
