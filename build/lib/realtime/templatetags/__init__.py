"""Template tags of the live layer's pages."""
