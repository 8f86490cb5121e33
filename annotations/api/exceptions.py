"""One error shape for the whole API: ``{"detail": ...}`` or ``{field: [messages]}``.

The service layer raises Django's ``ValidationError`` and ``PermissionDenied`` and
``StaleClaimError`` (or ``StaleAssessmentError``); here they become 400, 403 and 412 with
the service's own messages.
A 400 with field errors also carries ``codes``, ``{field: [code]}`` in the same order as the
messages, so that clients branch on a stable code rather than on words.
"""

from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotations.services import StaleAssessmentError, StaleClaimError, VerdictConflictError

MSG_SERVER_ERROR = "The server failed to answer this request; the error has been logged."


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than the limit of {limit} bytes.")


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        'Send the version you are changing, as an If-Match: "<version>" header '
        'or a "version" field, so that nobody\'s change is overwritten.'
    )


class PreconditionFailed(exceptions.APIException):
    """The claim changed since the client read it; the body carries the current state."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"

    def __init__(self, detail: str, current: dict[str, Any], version: int):
        super().__init__(detail)
        self.current = current
        self.version = version


def validation_error_data(error: ValidationError) -> dict[str, Any]:
    """Field -> messages, with rule-wide messages under ``non_field_errors`` (DRF's name)."""
    if not hasattr(error, "error_dict"):
        error = ValidationError({NON_FIELD_ERRORS: error.error_list})
    data: dict[str, Any] = {}
    codes = {}
    for field, messages in error.message_dict.items():
        name = "non_field_errors" if field == NON_FIELD_ERRORS else field
        data[name] = messages
        codes[name] = [each.code or "invalid" for each in error.error_dict[field]]
    return data | {"codes": codes}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StaleClaimError):
        from annotations.api.serializers import ClaimSerializer

        current = ClaimSerializer(exc.current, context={"request": context.get("request")}).data
        exc = PreconditionFailed(str(exc), current, exc.current.version)
    if isinstance(exc, StaleAssessmentError):
        from annotations.api.serializers import OwnAssessmentSerializer

        current = OwnAssessmentSerializer(exc.current).data
        exc = PreconditionFailed(str(exc), current, exc.current.version)
    if isinstance(exc, PreconditionFailed):
        response = Response({"detail": exc.detail, "current": exc.current}, status=exc.status_code)
        response["ETag"] = f'"{exc.version}"'
        return response
    if isinstance(exc, VerdictConflictError):
        verdicts = None if exc.verdicts is None else {str(k): v for k, v in exc.verdicts.items()}
        body = {"detail": exc.message, "code": exc.code, "claims": list(exc.claims)}
        return Response(body | {"verdicts": verdicts}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ValidationError):
        return Response(validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException("The request body is too large.")
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, ObjectDoesNotExist):
        # A row deleted between the lookup and the service's lock.
        exc = exceptions.NotFound()
    handled = drf_exception_handler(exc, context)  # None for what DRF does not handle
    if (
        isinstance(exc, exceptions.ValidationError)
        and handled is not None
        and isinstance(handled.data, dict)
    ):
        handled.data["codes"] = exc.get_codes()
    return handled


def server_error(request: HttpRequest) -> HttpResponse:
    """500 for an unhandled error: JSON under /api/ (clients parse it), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MSG_SERVER_ERROR}, status=500)
    return defaults.server_error(request)
