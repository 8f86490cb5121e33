"""``GET /api/v1/export/claims``: the claim filters, then one of ``exports.registry.FORMATS``.

The view only validates the query and picks the format; the formats themselves live in
``annotations.exports``. The ``format`` choices, each format's own parameters and the
OpenAPI responses are all read from the registry.
"""

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from annotations import selectors
from annotations.api.filters import ClaimFilter
from annotations.api.permissions import DeskPermission
from annotations.api.schema import ErrorSerializer
from annotations.exports.base import Export, ExportFormat, NoSuchPage, Param
from annotations.exports.fields import Urls
from annotations.exports.registry import DEFAULT_FORMAT, FORMATS, params
from annotations.models import Claim


def _help(param: Param, formats: list[str]) -> str:
    return f"{', '.join(formats)}: {param.help}"


def _param_field(param: Param, formats: list[str]) -> serializers.Field:
    if param.kind is bool:
        return serializers.BooleanField(default=False, help_text=_help(param, formats))
    if param.kind is int:
        return serializers.IntegerField(
            required=False,
            min_value=param.minimum,
            max_value=param.maximum,
            help_text=_help(param, formats),
        )
    if param.kind is str and param.choices:
        return serializers.ChoiceField(
            choices=list(param.choices), default=param.choices[0], help_text=_help(param, formats)
        )
    raise TypeError(f"{param.name}: no serializer field for {param.kind}")


def _param_schema(param: Param, formats: list[str]) -> OpenApiParameter:
    if param.kind is bool:
        return OpenApiParameter(param.name, bool, description=_help(param, formats))
    if param.kind is str:
        return OpenApiParameter(
            param.name,
            str,
            enum=list(param.choices),
            default=param.choices[0],
            description=_help(param, formats),
        )
    schema: dict[str, Any] = {"type": "integer"}
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    return OpenApiParameter(param.name, schema, description=_help(param, formats))


class ExportParamsSerializer(serializers.Serializer):
    """The export's own parameters (every format's); the claim filters are ``ClaimFilter``'s."""

    ordering = serializers.ChoiceField(
        choices=list(selectors.CLAIM_ORDERINGS), required=False, allow_blank=True
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = {
            "format": serializers.ChoiceField(choices=list(FORMATS), default=DEFAULT_FORMAT)
        }
        fields |= super().get_fields()
        for name, (param, formats) in params().items():
            fields[name] = _param_field(param, formats)
        return fields


def export_responses() -> dict[Any, OpenApiResponse]:
    """One 200 response per media type; formats sharing one (JSON-LD) are offered as oneOf.

    Text media types come first: a client generator that reads one media type per response
    (openapi-python-client takes the first it knows) then hands back the body as text for
    every format, instead of parsing a CSV or JSON Lines body as one JSON document.
    """
    by_type: dict[str, list[ExportFormat]] = {}
    for fmt in sorted(FORMATS.values(), key=lambda f: not f.media_type.startswith("text/")):
        by_type.setdefault(fmt.media_type, []).append(fmt)
    responses: dict[Any, OpenApiResponse] = {}
    for media_type, formats in by_type.items():
        schemas = []
        for fmt in formats:
            if dict(fmt.schema) not in schemas:
                schemas.append(dict(fmt.schema))
        schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
        description = "; ".join(f"{fmt.name}: {fmt.description}" for fmt in formats)
        responses[(200, media_type)] = OpenApiResponse(schema, description=description)
    responses[404] = OpenApiResponse(
        ErrorSerializer, description="w3c: no annotations after the claim `after` names"
    )
    return responses


class FixedJSONNegotiation(BaseContentNegotiation):
    """The export's ``?format=`` names the export format, not a DRF renderer."""

    # DRF passes the view's lists (APIView.get_parsers/get_renderers); the stubs say Iterable.
    def select_parser(  # type: ignore[override]
        self, request: Request, parsers: Sequence[BaseParser]
    ) -> BaseParser | None:
        return parsers[0] if parsers else None

    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: Sequence[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


def prepare_export(
    user: Any, params: QueryDict, *, api_root: str, address: str
) -> tuple[ExportFormat, Export]:
    """The format and the export a query asks for, validated (ValidationError: a 400).

    The streamed export and the background job (``services.export_job_run``) both start here,
    so a job's file is what the same query would have streamed.
    """
    query = ExportParamsSerializer(data=params)
    query.is_valid(raise_exception=True)
    fmt = FORMATS[query.validated_data["format"]]
    ordering = query.validated_data.get("ordering") or selectors.DEFAULT_EXPORT_ORDERING
    # Exports publish desk verdicts: only the ones the reader may read (the blind rule).
    claims = selectors.claims_judged_visible_to(user)
    filterset = ClaimFilter(params, queryset=claims)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    export = Export(
        claims=filterset.qs,
        keyset=selectors.CLAIM_ORDERINGS[ordering],
        urls=Urls(api_root),
        params=query.validated_data,
        address=address,
        query=[(k, v) for k, values in params.lists() for v in values],
    )
    return fmt, export


EXPORT_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(FORMATS), default=DEFAULT_FORMAT),
    *(_param_schema(param, formats) for param, formats in params().values()),
    OpenApiParameter(
        "ordering",
        str,
        enum=list(selectors.CLAIM_ORDERINGS),
        description="Sort order (default id; position = article, start, end).",
    ),
]


@extend_schema(
    summary="Export claims (streamed)",
    description="Takes the claim filters. Each format is sent with its own media type: json "
    "`application/json`, jsonl and history `application/x-ndjson`, csv `text/csv`, w3c and "
    "claimreview `application/ld+json`. `format=w3c` returns an AnnotationCollection with its "
    "first page embedded; `after=<claim id>` returns the page after that claim (keyset). "
    "`format=claimreview` returns only signed-off claims with a final verdict.",
    filters=True,
    parameters=EXPORT_PARAMETERS,
    responses=export_responses(),
)
class ExportClaimsView(APIView):
    """Stream every claim that matches the claim filters, in one of the registry's formats."""

    permission_classes = [DeskPermission]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FixedJSONNegotiation
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilter
    queryset = Claim.objects.none()

    def get(self, request: Request) -> HttpResponse | StreamingHttpResponse:
        fmt, export = prepare_export(
            request.user,
            request.query_params,
            api_root=request.build_absolute_uri(reverse("api:api-root")),
            address=request.build_absolute_uri(request.path),
        )
        try:
            body = fmt.write(export)
        except NoSuchPage as error:
            raise NotFound(str(error)) from None
        if fmt.streams:
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
                body, content_type=fmt.content_type
            )
            response["X-Accel-Buffering"] = "no"
        else:
            response = HttpResponse(b"".join(body), content_type=fmt.content_type)
        response["Content-Disposition"] = f'attachment; filename="claims.{fmt.extension}"'
        response["Cache-Control"] = "no-store"
        return response
