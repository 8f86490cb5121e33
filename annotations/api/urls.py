"""``/api/v1/`` routes. Included from ``workbench/urls.py`` under the ``api`` namespace."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from annotations.api import (
    agreement,
    archives,
    article_adding,
    claim_import,
    discussion,
    export_jobs,
    exports,
    groups,
    matches,
    views,
)

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("articles", views.ArticleViewSet, basename="article")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("source-links", views.SourceLinkViewSet, basename="sourcelink")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("review-queue/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("export/claims", exports.ExportClaimsView.as_view(), name="export-claims"),
    path("export/jobs", export_jobs.ExportJobListView.as_view(), name="export-jobs"),
    path("export/jobs/<int:pk>", export_jobs.ExportJobView.as_view(), name="export-job"),
    path(
        "export/jobs/<int:pk>/file",
        export_jobs.ExportJobFileView.as_view(),
        name="export-job-file",
    ),
    path(
        "article-fetches/<int:pk>",
        article_adding.ArticleFetchView.as_view(),
        name="article-fetch",
    ),
    path("editors/", article_adding.EditorView.as_view(), name="editors"),
    path("import/claims", claim_import.ImportClaimsView.as_view(), name="import-claims"),
    path("agreement/", agreement.AgreementView.as_view(), name="agreement"),
    path(
        "claims/<int:pk>/comments/",
        discussion.ClaimCommentsView.as_view(),
        name="claim-comments",
    ),
    path(
        "claim-groups/<int:pk>/publish/",
        groups.ClaimGroupPublishView.as_view(),
        name="claim-group-publish",
    ),
    path("claims/<int:pk>/matches/", matches.ClaimMatchesView.as_view(), name="claim-matches"),
    path("notifications/", discussion.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/read-all/",
        discussion.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        discussion.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path(
        "claims/<int:pk>/evidence.warc.gz",
        archives.ClaimEvidenceWarcView.as_view(),
        name="claim-evidence-warc",
    ),
    path(
        "articles/<int:pk>/evidence.warc.gz",
        archives.ArticleEvidenceWarcView.as_view(),
        name="article-evidence-warc",
    ),
    path("", include(router.urls)),
]
