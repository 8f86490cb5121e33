from django.contrib.auth import views as auth_views
from django.urls import path

from annotations import archive_views, export_pages, inbox, public_views, text_views, views
from annotations.csp import content_security_policy

urlpatterns = [
    path("", views.article_list, name="article-list"),
    path("articles/add/", views.article_add, name="article-add"),
    path("articles/<int:pk>/", views.article_detail, name="article-detail"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/", inbox.inbox_open, name="inbox-open"),
    path("inbox/<int:pk>/read/", inbox.inbox_mark_read, name="inbox-read"),
    path("inbox/read-all/", inbox.inbox_mark_all_read, name="inbox-read-all"),
    path("exports/", export_pages.exports, name="exports"),
    path("archive/<int:pk>/", archive_views.archive_view, name="archive-view"),
    path("archive/<int:pk>/raw", archive_views.archive_raw, name="archive-raw"),
    # The public site (no login): published fact-checks, their feed and the sitemap.
    path("fact-checks/", public_views.public_index, name="public-index"),
    path("fact-checks/feed/", public_views.public_feed, name="public-feed"),
    path("fact-checks/<int:pk>-<str:slug>/", public_views.public_claim, name="public-claim"),
    path(
        "fact-checks/groups/<int:pk>-<str:slug>/",
        public_views.public_group,
        name="public-group",
    ),
    path(
        "sitemap.xml",
        public_views.public_sitemap,
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("texts/<slug:slug>/<str:content_hash>.txt", text_views.article_text, name="article-text"),
    path(
        "accounts/login/",
        content_security_policy(auth_views.LoginView.as_view()),
        name="login",
    ),
    path(
        "accounts/logout/",
        content_security_policy(auth_views.LogoutView.as_view()),
        name="logout",
    ),
]
