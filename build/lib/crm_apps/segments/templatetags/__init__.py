"""Template tags of segments."""
