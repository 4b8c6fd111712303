"""Human-readable record numbers (C-000042, Q-000042) drawn from the table's own id sequence."""

from django.db import connection


class NumberedFromId:
    """Give a new row the number ``<number_prefix><id, six digits>`` before its insert.

    The id sequence is the tenant's own (one schema per tenant), so numbers are unique in the
    tenant, never reused, and known before the row exists; a row saved with a number already
    set (a quote's next version) keeps it."""

    number_prefix = ""

    def save(self, *args, **kwargs):
        if self.pk is None and not self.number:
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))",
                               [self._meta.db_table])
                self.pk = cursor.fetchone()[0]
            self.number = f"{self.number_prefix}{self.pk:06d}"
            kwargs["force_insert"] = True
        super().save(*args, **kwargs)
