from django.contrib.auth import views as auth_views
from django.urls import path

from annotations import views
from annotations.csp import content_security_policy

urlpatterns = [
    path("", views.article_list, name="article-list"),
    path("articles/<int:pk>/", views.article_detail, name="article-detail"),
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
