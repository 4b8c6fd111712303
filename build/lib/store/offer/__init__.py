"""Oscar's offer app, forked: offers restricted to CRM segments, with a hold-out group."""
