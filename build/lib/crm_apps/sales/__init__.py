"""Sales: leads, pipelines and opportunities."""
