"""Template tags of the forked offer app."""
