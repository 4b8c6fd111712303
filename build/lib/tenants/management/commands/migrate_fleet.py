"""Migrate only the schemas behind the code, several at a time, recording each one's state.

One SELECT of django_migrations per schema finds who is behind; public is migrated first
(shared apps), then the template and the tenants in a bounded pool of worker processes. A
failed schema never stops the others; a rerun skips done schemas and retries failed ones.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tenants.fleet import FleetBusy, fleet_lock, migrate_fleet


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Command(BaseCommand):
    help = "Migrate only the schemas that are behind, in parallel, and resume after failures."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="Worker processes (default: min(4, CPUs)); 1 runs in-process.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Only list the schemas that are behind.")
        parser.add_argument("--no-wait", action="store_true",
                            help="Fail at once if another fleet migration is running (by "
                                 "default, wait for it to finish, then check again).")

    def handle(self, *args, workers: int, dry_run: bool, no_wait: bool, verbosity: int,
               **options):
        if workers < 1:
            raise CommandError(_("--workers must be at least 1."))

        def waiting():
            self.stdout.write(_("Another fleet migration is running; waiting for it to "
                                "finish."))
            self.stdout.flush()

        try:
            with fleet_lock(wait=not no_wait, waiting=waiting):
                # Per-schema migrate output only when asked for; the summary lines always.
                result = migrate_fleet(workers=workers, dry_run=dry_run,
                                       verbosity=max(0, verbosity - 1))
        except FleetBusy:
            raise CommandError(_("Another fleet migration is running.")) from None
        for plan in result.behind:
            self.stdout.write(_("%(schema)s: %(count)d migration(s) to apply%(note)s") % {
                "schema": plan.schema, "count": len(plan.missing),
                "note": _(" (previous run: %(state)s)") % {"state": plan.previous_state}
                if plan.previous_state and plan.previous_state != "done" else ""})
        if dry_run:
            self.stdout.write(_("%(behind)d of %(total)d schema(s) are behind.") % {
                "behind": len(result.behind), "total": len(result.plans)})
            return
        self.stdout.write(_("Migrated %(migrated)d schema(s), skipped %(skipped)d current, "
                            "%(failed)d failed.") % {
            "migrated": len(result.migrated), "skipped": result.skipped,
            "failed": len(result.failed)})
        if result.failed:
            for schema, error in sorted(result.failed.items()):
                last_line = error.strip().splitlines()[-1] if error.strip() else ""
                self.stderr.write(f"{schema}: {last_line}")
            raise CommandError(_("Failed schemas: %(schemas)s") % {
                "schemas": ", ".join(sorted(result.failed))})
