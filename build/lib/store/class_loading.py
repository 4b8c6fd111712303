"""Oscar's class loader, remembered: Oscar looks classes up through the app registry and the
import system on every call (each offer's condition and benefit on every basket request), and
the answer never changes while the process runs."""

from functools import lru_cache

from oscar.core.loading import default_class_loader


@lru_cache(maxsize=1024)
def _load(module_label: str, classnames: tuple, module_prefix: str) -> tuple:
    return tuple(default_class_loader(module_label, list(classnames), module_prefix))


def cached_class_loader(module_label, classnames, module_prefix):
    return list(_load(module_label, tuple(classnames), module_prefix))
