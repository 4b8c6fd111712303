"""The kinds of record a tenant can customise; feature apps register theirs in ``ready()``."""

from django.db import models

_ENTITIES: dict[str, type[models.Model]] = {}


def register(model: type[models.Model]) -> None:
    """Make ``model`` (which has a ``custom`` JSON field) customisable."""
    _ENTITIES[model._meta.label_lower] = model


def entity_of(model_or_instance) -> str:
    """``customers.contact`` for the Contact model or one of its rows."""
    return model_or_instance._meta.label_lower


def model_for(entity: str) -> type[models.Model] | None:
    return _ENTITIES.get(entity)


def choices() -> list[tuple[str, str]]:
    """(entity, verbose name) of every registered entity, for forms and the API."""
    return [(code, str(model._meta.verbose_name)) for code, model in sorted(_ENTITIES.items())]
