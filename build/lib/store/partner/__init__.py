"""Oscar's partner app, forked: the pricing strategy of each tenant's shop."""
