"""Each tenant's shop settings: currency, tax, and whether offers are personalised."""
