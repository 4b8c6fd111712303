"""Observability: structured logs with tenant and request id, Prometheus metrics, probes."""
