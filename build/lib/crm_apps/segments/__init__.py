"""Customer segments: contacts grouped by rules over their CRM data, recomputed by jobs."""
