"""Oscar's search app, forked: product search over Chinese and English names."""
