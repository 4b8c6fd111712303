"""Oscar's shipping app, forked: each tenant's own shipping methods at checkout."""
