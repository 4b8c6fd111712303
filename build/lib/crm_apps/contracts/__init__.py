"""Contracts of accounts: terms, renewal reminders, automatic and manual renewal."""
