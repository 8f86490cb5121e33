"""Typed reads of a model's fields, for the code that writes its own SQL (exports, link checks).

``Options.get_field`` answers with a forward field or a reverse relation, and a field's
``column`` is None for a many-to-many. These say which kind the caller needs and fail
loudly on the other, instead of an ``AttributeError`` half-way through building SQL.
"""

from django.db.models import Field, ForeignObjectRel, Model
from django.db.models.fields.related import RelatedField


def column_field(model: type[Model], name: str) -> Field:
    """The field ``name`` stored in ``model``'s own table."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def column_name(field: Field) -> str:
    """The database column of a field stored in its model's table."""
    if field.column is None:
        raise TypeError(f"{field.model.__name__}.{field.name} is not a column")
    return field.column


def forward_relation(model: type[Model], name: str) -> RelatedField:
    """The relation ``name`` that ``model`` holds (a foreign key or one-to-one)."""
    field = model._meta.get_field(name)
    if not isinstance(field, RelatedField):
        raise TypeError(f"{model.__name__}.{name} is not a relation held by this model")
    return field


def reverse_relation(model: type[Model], name: str) -> ForeignObjectRel:
    """The relation ``name`` that another model holds to ``model`` (its reverse accessor)."""
    field = model._meta.get_field(name)
    if not isinstance(field, ForeignObjectRel):
        raise TypeError(f"{model.__name__}.{name} is not a reverse relation")
    return field
