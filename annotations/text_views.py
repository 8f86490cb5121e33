"""The public text of an article version: what W3C annotations target.

``/texts/<slug>/<content_hash>.txt`` serves the article's canonical body (NFC, the text the
claims' code-point offsets index) as ``text/plain; charset=utf-8``, with no login: it is the
news article as published. The address names one text version. Old versions are not kept
(the desk stores only the current body), so once an import changes the text the old
address answers 410 Gone; the annotation's ``state`` (hash and date) tells a consumer which
version its selectors were made on.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from annotations import selectors

MSG_TEXT_GONE = (
    "This text version of the article has been replaced; its annotations were made on it. "
    "The current version: {url}"
)


def article_text_path(slug: str, content_hash: str) -> str:
    """Where the public text of one article version is served."""
    return reverse("article-text", kwargs={"slug": slug, "content_hash": content_hash})


@require_safe
def article_text(request: HttpRequest, slug: str, content_hash: str) -> HttpResponse:
    article = selectors.article_text_version(slug)
    if article is None:
        raise Http404("No such article.")
    if article["content_hash"] != content_hash:
        current = request.build_absolute_uri(article_text_path(slug, article["content_hash"]))
        gone = HttpResponse(
            MSG_TEXT_GONE.format(url=current), status=410, content_type="text/plain; charset=utf-8"
        )
        gone["Link"] = f'<{current}>; rel="latest-version"'
        return gone
    response = HttpResponse(article["body"], content_type="text/plain; charset=utf-8")
    response["ETag"] = f'"{content_hash}"'
    # The address names the version: its content never changes while it is served.
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response
