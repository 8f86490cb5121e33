"""Each analyst's own assessment, the desk verdict drawn from them, decisions and blind review."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotations import selectors, services
from annotations.models import Assessment, Claim, HistoryEntry
from tests import support
from tests.conftest import span_of

QUOTE = "Венесуэла"


@pytest.fixture
def blind(ru_article):
    ru_article.blind_review = True
    ru_article.save(update_fields=["blind_review"])
    return ru_article


def assess(claim, who, verdict, rationale=None):
    return services.assessment_submit(
        claim=claim, analyst=who, verdict=verdict, rationale=rationale
    )


def fresh(claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.mark.django_db
def test_one_analyst_the_desk_verdict_follows_them(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by WP.")
    own = Assessment.objects.get(claim=claim)
    assert (own.analyst, own.verdict, own.rationale) == (analyst, "verified", "Cited by WP.")

    services.claim_update(claim=claim, actor=analyst, verdict="disputed", rationale="Denied.")
    claim = fresh(claim)
    assert (claim.verdict, claim.rationale, claim.in_disagreement) == ("disputed", "Denied.", False)
    assert Assessment.objects.get(claim=claim).version == 2


@pytest.mark.django_db
def test_agreeing_analysts_keep_the_verdict_and_the_first_reasoning(
    ru_article, make_claim, other_analyst
):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by WP.")
    assess(claim, other_analyst, "verified", "Also on Reuters.")
    claim = fresh(claim)
    assert (claim.verdict, claim.rationale, claim.in_disagreement) == (
        "verified",
        "Cited by WP.",
        False,
    )


@pytest.mark.django_db
def test_disagreeing_analysts_put_the_claim_in_disagreement(ru_article, make_claim, other_analyst):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by WP.")
    assess(claim, other_analyst, "pending")  # a highlight not judged yet does not disagree
    assert fresh(claim).verdict == "verified"
    assess(claim, other_analyst, "disputed", "The letter is unsigned.")
    claim = fresh(claim)
    assert (claim.verdict, claim.rationale, claim.in_disagreement) == ("pending", "", True)
    entry = HistoryEntry.objects.filter(subject="assessment").latest("id")
    assert entry.changes["desk_verdict"] == ["verified", "pending"]
    assert entry.changes["in_disagreement"] == [False, True]
    assert entry.assessment_ref == Assessment.objects.get(analyst=other_analyst).pk


@pytest.mark.django_db
def test_a_decision_keeps_every_analysts_rationale(
    ru_article, make_claim, analyst, other_analyst, reviewer
):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by WP.")
    assess(claim, other_analyst, "disputed", "The letter is unsigned.")
    decided = services.claim_decide(
        claim=claim, reviewer=reviewer, verdict="unsourced", reason="Neither source holds."
    )
    assert (decided.verdict, decided.rationale, decided.in_disagreement) == (
        "unsourced",
        "Neither source holds.",
        False,
    )
    assert decided.decided_by == reviewer and decided.is_decided
    rationales = dict(Assessment.objects.values_list("analyst__username", "rationale"))
    assert rationales == {
        analyst.username: "Cited by WP.",
        other_analyst.username: "The letter is unsigned.",
    }
    # The decision stands over a later change of mind.
    assess(claim, analyst, "disputed")
    assert fresh(claim).verdict == "unsourced"
    assert HistoryEntry.objects.filter(action="decided", actor=reviewer).count() == 1


@pytest.mark.django_db
def test_two_reviewers_deciding_one_version_one_wins(ru_article, make_claim, reviewer):
    second = support.make_user("bohdan", "reviewer", is_staff=True)
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.claim_decide(
        claim=claim, reviewer=reviewer, verdict="disputed", reason="a", expected_version=1
    )
    with pytest.raises(services.StaleClaimError) as lost:
        services.claim_decide(
            claim=claim, reviewer=second, verdict="verified", reason="b", expected_version=1
        )
    assert lost.value.current.verdict == "disputed"


@pytest.mark.django_db
def test_analysts_cannot_decide(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    with pytest.raises(PermissionDenied):
        services.claim_decide(claim=claim, reviewer=analyst, verdict="disputed", reason="")


@pytest.mark.django_db
def test_unknown_verdict_is_refused_with_its_code(ru_article, make_claim, other_analyst):
    claim = make_claim(ru_article, QUOTE)
    with pytest.raises(ValidationError) as refused:
        assess(claim, other_analyst, "maybe")
    assert refused.value.error_dict["verdict"][0].code == "unknown_verdict"
    assert not Assessment.objects.filter(analyst=other_analyst).exists()


@pytest.mark.django_db
def test_a_reviewer_editing_someone_elses_verdict_decides(ru_article, make_claim, reviewer):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by WP.")
    services.claim_update(claim=claim, actor=reviewer, verdict="disputed", rationale="No.")
    claim = fresh(claim)
    assert (claim.verdict, claim.rationale, claim.decided_by) == ("disputed", "No.", reviewer)
    assert Assessment.objects.get(claim=claim).rationale == "Cited by WP."


@pytest.mark.django_db
def test_an_analyst_cannot_judge_through_someone_elses_claim(ru_article, make_claim, other_analyst):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    with pytest.raises(PermissionDenied):
        services.claim_update(claim=claim, actor=other_analyst, verdict="disputed")


@pytest.mark.django_db
def test_a_withdrawn_sign_off_is_marked_until_signed_off_again(
    ru_article, make_claim, analyst, reviewer
):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    services.claim_update(claim=claim, actor=analyst, rationale="More to say.")
    claim = fresh(claim)
    assert not claim.is_signed_off and claim.sign_off_withdrawn_at is not None
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert fresh(claim).sign_off_withdrawn_at is None


@pytest.mark.django_db
def test_blind_highlight_of_a_taken_span_joins_the_claim(blind, make_claim, analyst, other_analyst):
    claim = make_claim(blind, QUOTE, verdict="verified", rationale="Cited by WP.")
    start, end = span_of(blind, QUOTE)
    joined = services.claim_create(
        article=blind, start=start, end=end, author=other_analyst, verdict="pending"
    )
    assert joined.pk == claim.pk
    assert set(claim.assessments.values_list("analyst__username", flat=True)) == {
        analyst.username,
        other_analyst.username,
    }
    # A second time from the same analyst is the duplicate it always was.
    with pytest.raises(ValidationError) as again:
        services.claim_create(article=blind, start=start, end=end, author=other_analyst)
    assert again.value.error_dict["start"][0].code == "duplicate_span"


@pytest.mark.django_db
def test_open_articles_still_refuse_a_taken_span(ru_article, make_claim, other_analyst):
    make_claim(ru_article, QUOTE)
    start, end = span_of(ru_article, QUOTE)
    with pytest.raises(ValidationError):
        services.claim_create(article=ru_article, start=start, end=end, author=other_analyst)


@pytest.mark.django_db
def test_blind_rule_who_sees_what(blind, make_claim, analyst, other_analyst, reviewer):
    claim = make_claim(blind, QUOTE, verdict="verified")
    assert services.can_see_judgments(analyst, claim)
    assert services.can_see_judgments(reviewer, claim)
    assert not services.can_see_judgments(other_analyst, claim)
    assert list(selectors.claims_visible_to(other_analyst)) == []
    assert list(selectors.claims_visible_to(reviewer)) == [claim]

    assess(claim, other_analyst, "pending")
    assert list(selectors.claims_visible_to(other_analyst)) == [claim]
    assert list(selectors.claims_judged_visible_to(other_analyst)) == []
    assert not services.can_see_judgments(other_analyst, fresh(claim))

    assess(claim, other_analyst, "disputed")
    assert services.can_see_judgments(other_analyst, fresh(claim))
    assert list(selectors.claims_judged_visible_to(other_analyst)) == [claim]


@pytest.mark.django_db
def test_the_desk_default_applies_where_the_article_says_nothing(
    settings, ru_article, make_claim, other_analyst
):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    assert ru_article.blind_review is None
    assert list(selectors.claims_visible_to(other_analyst)) == [claim]
    settings.BLIND_REVIEW_DEFAULT = True
    assert list(selectors.claims_visible_to(other_analyst)) == []
    assert not services.can_see_judgments(other_analyst, fresh(claim))
    ru_article.blind_review = False
    ru_article.save(update_fields=["blind_review"])
    assert list(selectors.claims_visible_to(other_analyst)) == [claim]


@pytest.mark.django_db(transaction=True)
def test_migration_turns_each_claims_verdict_into_its_authors_assessment(seeds, analyst):
    """0008 on data written before it: the verdict, rationale and times carry over."""
    executor = MigrationExecutor(connection)
    executor.migrate([("annotations", "0007_review_desk")])
    apps = executor.loader.project_state([("annotations", "0007_review_desk")]).apps
    OldClaim = apps.get_model("annotations", "Claim")
    old_article = apps.get_model("annotations", "Article").objects.get(pk=seeds["ru"].pk)
    start, end = span_of(seeds["ru"], QUOTE)
    old = OldClaim.objects.create(
        article=old_article,
        start=start,
        end=end,
        quote=QUOTE,
        verdict="disputed",
        rationale="Denied by the ministry.",
        created_by_id=analyst.pk,
        updated_by_id=analyst.pk,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = Assessment.objects.get(claim_id=old.pk)
    assert (migrated.analyst_id, migrated.verdict, migrated.rationale) == (
        analyst.pk,
        "disputed",
        "Denied by the ministry.",
    )
    assert migrated.created_at == Claim.objects.get(pk=old.pk).created_at
    assert Claim.objects.get(pk=old.pk).verdict == "disputed"
