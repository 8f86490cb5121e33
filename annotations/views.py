"""The desk's pages: the article list and the annotator. Both only read; writes go to the API."""

from typing import TYPE_CHECKING, TypedDict, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from annotations import selectors, services
from annotations.csp import content_security_policy
from annotations.languages import desk_languages
from annotations.models import Article, LinkOutcome, Stance, Verdict
from annotations.selectors_review import paragraphs_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ARTICLES_PER_PAGE = 50
# A selection longer than this (code points) is made a claim only after the analyst confirms.
CLAIM_CONFIRM_CHARS = 600
# What each link-check state means to an analyst, and what they can do about it: the badge's
# short text, its tooltip and the help overlay all come from here.
LINK_STATES: dict[str, tuple[str, str, str]] = {
    LinkOutcome.PENDING: (
        "checking",
        "The link is being checked",
        "Wait a moment: the badge changes by itself.",
    ),
    LinkOutcome.OK: ("ok", "The link answered", ""),
    LinkOutcome.REDIRECTED: (
        "redirected",
        "The link redirects elsewhere",
        "Check that the page it leads to is still the source you meant; cite that address if so.",
    ),
    LinkOutcome.BROKEN: (
        "broken",
        "The link is broken (the server answered with an error)",
        "Look for the page elsewhere (an archive copy, say) and cite that, or check again later.",
    ),
    LinkOutcome.TIMEOUT: (
        "timeout",
        "The link did not answer in time",
        "The site may be slow or down for a while: check again later.",
    ),
    LinkOutcome.UNREACHABLE: (
        "unreachable",
        "The link's server could not be reached",
        "Check the address for a typo, or check again later.",
    ),
    LinkOutcome.BLOCKED: (
        "blocked",
        "The link was not fetched: it points to a private or local network address, "
        "which the checker never visits for safety",
        "Cite a public address of the source; ask an administrator if an intranet host "
        "must be allowed.",
    ),
    LinkOutcome.INVALID: (
        "invalid",
        "The link is not a valid web address",
        "Edit the evidence and correct the address.",
    ),
}


class _ClaimCounts(TypedDict):
    """The counts that selectors.article_list annotates on each article."""

    count_total: int
    count_signed_off: int


@content_security_policy
@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    language = request.GET.get("language", "")[:35]
    page = Paginator(
        selectors.article_list(search=search, language=language, reader=request.user),
        ARTICLES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    progress = selectors.assessment_progress(request.user, [a.pk for a in page.object_list])
    rows = []
    for row in page.object_list:
        article = cast("WithAnnotations[Article, _ClaimCounts]", row)
        signed_share = (
            round(100 * article.count_signed_off / article.count_total)
            if article.count_total
            else None
        )
        mine = getattr(article, "assigned_to_me", False)
        rows.append(
            {
                "article": article,
                "signed_share": signed_share,
                "assigned_to_me": mine,
                "progress": progress[article.pk] if mine else None,
            }
        )
    return render(
        request,
        "annotations/article_list.html",
        {
            "page": page,
            "rows": rows,
            "search": search,
            "language": language,
            "languages": selectors.article_languages(),
            "verdicts": Verdict.choices,
            "can_add_articles": services.can_add_articles(request.user),
        },
    )


@content_security_policy
@ensure_csrf_cookie
@login_required
def article_add(request: HttpRequest) -> HttpResponse:
    """Add an article from a link, a file or pasted text: preview, correct, save (via the API)."""
    if not services.can_add_articles(request.user):
        raise PermissionDenied(services.MSG_NO_RIGHT_ADD_ARTICLE)
    config = {
        "articles_api": reverse("api:article-list"),
        "annotator_url": reverse("article-detail", args=[0]),
        "languages": list(desk_languages()),
        "poll_ms": 700,
    }
    return render(request, "annotations/article_add.html", {"config": config})


@content_security_policy
@ensure_csrf_cookie
@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    link_states = [
        {"value": value, "label": label, "meaning": meaning, "advice": advice}
        for value, (label, meaning, advice) in LINK_STATES.items()
    ]
    # Everything the page needs to decide and to label; per-claim rights come with each claim.
    config = {
        "article_id": article.pk,
        "api_root": "/api/v1/",
        "poll_ms": settings.ANNOTATOR_POLL_MS,
        "can_create": services.can_create_claims(request.user),
        "user_id": request.user.pk,  # to tell the user's own citations, which they may change
        "can_sign_off": services.can_sign_off(request.user),
        "can_decide": services.can_decide(request.user),
        "claim_confirm_chars": CLAIM_CONFIRM_CHARS,
        # Reviewers open a claim on the review desk too; "0" stands for the claim's id.
        "admin_claim_url": (
            reverse("admin:annotations_claim_change", args=[0])
            if services.can_assign(request.user) and request.user.is_staff
            else None
        ),
        "verdicts": dict(Verdict.choices),
        "stances": dict(Stance.choices),
        "link_states": {
            state["value"]: {k: state[k] for k in ("label", "meaning", "advice")}
            for state in link_states
        },
    }
    return render(
        request,
        "annotations/article_detail.html",
        {
            "article": article,
            "paragraphs": paragraphs_of(article.body),
            "verdicts": Verdict.choices,
            "stances": Stance.choices,
            "link_states": link_states,
            "config": config,
        },
    )
