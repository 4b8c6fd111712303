"""Template tags of the sales pages."""
