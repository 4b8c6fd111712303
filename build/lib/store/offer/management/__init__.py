"""Management commands of the forked offer app."""
