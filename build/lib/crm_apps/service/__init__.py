"""The service desk: tickets, complaints, SLAs, e-mail to ticket, satisfaction."""
