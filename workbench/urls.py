from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from annotations.admin.agreement import agreement_view
from annotations.api.docs import RedocView, SchemaView, SwaggerView, redoc_bundle

admin.site.site_header = "Fact-checking workbench: review desk"
admin.site.site_title = "Review desk"
admin.site.index_title = "Claims, evidence and source links"
admin.site.index_template = "admin/annotations/index.html"  # links the agreement page


def healthz(request: HttpRequest) -> JsonResponse:
    """For the container healthcheck: the process answers and the database does too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz),
    path("admin/agreement/", admin.site.admin_view(agreement_view), name="admin-agreement"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("annotations.api.urls", namespace="api")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="api-redoc-bundle"),
    path("", include("annotations.urls")),  # the web UI: article list, annotator, login
]

handler404 = "annotations.api.views.not_found"
handler500 = "annotations.api.exceptions.server_error"
