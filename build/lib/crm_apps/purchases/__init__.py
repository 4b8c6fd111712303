"""Shop orders tied to CRM contacts: by the shopper's login, or by a guest's e-mail."""
