"""Tenant customisation of records: custom fields, fields hidden from roles, saved list views."""
