"""Input serializers that take a value only of the type the OpenAPI description gives.

DRF is lenient on purpose: a CharField takes `0` as "0", a BooleanField takes `0`, `1`,
"yes" and "off", a UUIDField takes an integer, and an empty form or query value of a typed
field (`?category=`, a multipart `order_id` part with nothing in it) counts as not sent. The
schema says string, boolean, uuid; a client that learns to send the other shapes breaks against
any stricter server, and the contract tier (Schemathesis's `negative_data_rejection`) reports
each such acceptance. So JSON values must have their field's JSON type, and a form or query
value of a field that is not free text must not be empty.

A UUID is read with Python's `uuid.UUID`, which takes far more than the OpenAPI's `format:
uuid` (8-4-4-4-12 hex digits): 32 bare hex digits, braces (even one, `{<id>`), `urn:uuid:` and
`uuid:` prefixes, hyphens anywhere. The contract tier found an upload accepted with an
`order_id` its schema does not allow (a real order's id spelled `{<id>` is one such); so a UUID
must be written the one way. And a form or query field that
takes one value must come once: of `order_id=x&order_id=<id>` DRF reads the last, a proxy or a
log may read the first.
"""

import copy
import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

STRING_FIELDS = (serializers.CharField, serializers.ChoiceField, serializers.UUIDField,
                 serializers.DateField, serializers.DateTimeField, serializers.TimeField)
NUMBER_FIELDS = (serializers.DecimalField, serializers.FloatField)
LIST_FIELDS = (serializers.MultipleChoiceField, serializers.ListField,
               serializers.ListSerializer)
# `format: uuid` (RFC 4122): hex digits either case, hyphens where they belong, nothing around
UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuid_spelling_problem(field: serializers.Field, value: Any) -> str | None:
    """Why a UUID field's text is not a UUID as the OpenAPI writes one, or None."""
    if isinstance(field, serializers.UUIDField) and isinstance(value, str) \
            and not UUID_TEXT.fullmatch(value):
        return "Must be a UUID written as 8-4-4-4-12 hex digits."
    return None


def json_type_problem(field: serializers.Field, value: Any) -> str | dict | None:
    """Why the JSON `value` is not of the type `field` takes, or None when it is (for a list's
    items, their problems by index)."""
    if value is None:
        return None  # null is the field's own `allow_null` decision
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) \
            else "Must be a whole number."
    if isinstance(field, NUMBER_FIELDS):
        return None if isinstance(value, int | float) and not isinstance(value, bool) \
            else "Must be a number."
    if isinstance(field, LIST_FIELDS):
        if not isinstance(value, list):
            return "Must be a list."
        child = getattr(field, "child", None)
        if child is None or isinstance(child, StrictInput):
            return None
        # by index, as DRF names a list's items in its errors (`image_ids.0`)
        items = {index: problem if isinstance(problem, dict) else [problem]
                 for index, item in enumerate(value)
                 if (problem := json_type_problem(child, item))}
        return items or None
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return None if isinstance(value, Mapping) else "Must be an object."
    if isinstance(field, STRING_FIELDS):
        return uuid_spelling_problem(field, value) if isinstance(value, str) \
            else "Must be a string."
    return None


def form_value_problem(field: serializers.Field, values: list[str]) -> str | None:
    """Why a form or query value is not one, or None: text (a file part for a field that is not
    a file is not), empty only for free text, more than once only for a list field, and a UUID
    written the one way."""
    if not all(isinstance(value, str) for value in values):
        return "Must be text, not a file."
    free_text = isinstance(field, serializers.CharField) and field.allow_blank
    if not free_text and any(value.strip() == "" for value in values):
        return "Give a value, or leave the field out."
    if isinstance(field, LIST_FIELDS):
        field = getattr(field, "child", field)
    elif len(values) > 1:
        return "Give one value."
    return next(filter(None, (uuid_spelling_problem(field, value) for value in values)), None)


class StrictInput:
    """Mixed into a Serializer or ModelSerializer (before it): refuses values of another shape
    than its fields' (see the module)."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, QueryDict):
            problems = {name: form_value_problem(field, data.getlist(name))
                        for name, field in self.fields.items()
                        if not field.read_only and name in data
                        and not isinstance(field, serializers.FileField)}
        elif isinstance(data, Mapping):
            problems = {name: json_type_problem(field, data[name])
                        for name, field in self.fields.items()
                        if not field.read_only and name in data}
        else:
            problems = {}
        errors = {name: problem if isinstance(problem, dict) else [problem]
                  for name, problem in problems.items() if problem}
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictInput, serializers.Serializer):
    """A Serializer with `StrictInput`."""


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with the fields it builds from the model made once a class.

    DRF introspects the model and builds every field again for each serializer instance (about
    0.2 ms for a five-field serializer here, on every read); the fields depend only on the class
    (its Meta and declared fields), so the first instance's are kept as the class's prototype
    and each instance gets a deep copy of them, as DRF gives each its declared fields. A
    subclass whose fields depend on the request must not use this base.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        prototype = cls.__dict__.get("_field_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._field_prototype = prototype
        return copy.deepcopy(prototype)
