"""OpenAPI: the error shapes every operation can answer with, added in one place."""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from annotations.api.serializers import ClaimSerializer


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words.")


class StaleClaimSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ClaimSerializer(help_text="The claim as it is now; its version is the new ETag.")


class FieldErrorsSerializer(serializers.Serializer):
    """``{field: [messages], "codes": {field: [codes]}}``; rule-wide under ``non_field_errors``."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {
            "type": "object",
            "description": "Field name (or non_field_errors, or detail) -> messages; "
            "codes: the same fields -> a stable code for each message, in the same order.",
            "properties": {
                "codes": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                }
            },
            "additionalProperties": {
                "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
            },
        }


FIELD_ERRORS = FieldErrorsSerializer

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description='The claim version being changed, as its ETag: "3". Required (or a "version" '
    "field) for PATCH and DELETE: 428 without it, 412 when the claim has moved on.",
)
ETAG = OpenApiParameter(
    "ETag",
    location=OpenApiParameter.HEADER,
    type=str,
    response=[200, 201, 412],
    description='The claim\'s version, e.g. "3".',
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class DeskAutoSchema(AutoSchema):
    """Adds the API's error responses (see ``annotations.api.exceptions``) to each operation."""

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses

        def add(code: int, serializer: Any) -> None:
            responses.setdefault(str(code), self._get_response_for_code(serializer, str(code)))

        add(401, ErrorSerializer)
        add(403, ErrorSerializer)
        # Too many wrong API tokens from the caller's address (annotations.throttling).
        add(429, ErrorSerializer)
        if "{" in self.path:
            add(404, ErrorSerializer)
        # Every operation: a query string holding NUL is refused (annotations.middleware).
        add(400, FIELD_ERRORS)
        if self.method in WRITE_METHODS:
            add(413, ErrorSerializer)
            add(415, ErrorSerializer)
        versioned = getattr(self.view, "versioned_actions", {})
        if self.method in versioned.get(getattr(self.view, "action", None), ()):
            add(412, StaleClaimSerializer)
            add(428, ErrorSerializer)
        return responses


def allow_empty_query_values(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Optional query parameters left empty (``?verdict=&search=``) mean "not given"."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
