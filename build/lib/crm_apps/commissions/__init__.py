"""Commission plans (base rate, tiers by attainment, category rates) and approved statements."""
