"""Claim groups: one claim in the Russian and the Ukrainian seed, one shared desk verdict."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import services
from annotations.models import Claim, ClaimGroup, HistoryEntry, Verdict
from annotations.services.errors import (
    MSG_LINK_OTHERS_CLAIM,
    MSG_NO_RIGHT_CHOOSE_VERDICT,
    MSG_NO_RIGHT_LINK,
    MSG_VERDICTS_DIFFER_HIDDEN,
    ErrorCode,
    VerdictConflictError,
)
from tests.conftest import span_of

RU_QUOTE = "Николас Мадуро также обращался к Китаю и Ирану за военной помощью"
UK_QUOTE = "Венесуела зверталася по військову підтримку і до Китаю, і до Ірану"

pytestmark = pytest.mark.django_db


def link(claim, article, quote, user, **kwargs):
    start, end = span_of(article, quote)
    return services.claim_link(claim, article=article, start=start, end=end, user=user, **kwargs)


def fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def test_link_makes_the_highlight_where_none_covers_the_passage(
    ru_article, uk_article, make_claim, analyst
):
    ru = make_claim(ru_article, RU_QUOTE)
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    assert uk.article_id == uk_article.pk and uk.quote == UK_QUOTE
    assert uk.created_by == analyst
    assert fresh(ru).group_id == uk.group_id is not None
    # Each appearance keeps its own quote and offsets.
    assert fresh(ru).quote == RU_QUOTE and fresh(ru).article_id == ru_article.pk
    assert set(ClaimGroup.objects.get().members.values_list("pk", flat=True)) == {ru.pk, uk.pk}
    linked = HistoryEntry.objects.filter(action=HistoryEntry.Action.LINKED)
    assert {(e.claim_ref, e.changes["linked_with"][1]) for e in linked} == {
        (ru.pk, uk.pk),
        (uk.pk, ru.pk),
    }


def test_link_joins_the_claim_that_covers_the_passage(ru_article, uk_article, make_claim, analyst):
    ru = make_claim(ru_article, RU_QUOTE)
    uk = make_claim(uk_article, UK_QUOTE)
    inside = "до Китаю"
    linked = link(ru, uk_article, inside, analyst)
    assert linked.pk == uk.pk
    assert Claim.objects.filter(article=uk_article).count() == 1
    assert fresh(ru).group_id == fresh(uk).group_id is not None


def test_a_pending_appearance_takes_the_verdict_of_the_other(
    ru_article, uk_article, make_claim, analyst
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED, rationale="Нет документов.")
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    assert (uk.verdict, uk.rationale) == (Verdict.DISPUTED, "Нет документов.")


def test_the_group_shares_the_desk_verdict(ru_article, uk_article, make_claim, analyst, reviewer):
    ru = make_claim(ru_article, RU_QUOTE)
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    services.assessment_submit(claim=ru, analyst=analyst, verdict=Verdict.UNSOURCED)
    assert fresh(uk).verdict == Verdict.UNSOURCED
    followed = HistoryEntry.objects.filter(claim_ref=uk.pk, changes__followed_claim=[None, ru.pk])
    # Named as the desk's, so the blind rule's history filter hides it from who may not see it.
    assert followed.get().changes["desk_verdict"] == [Verdict.PENDING, Verdict.UNSOURCED]

    services.claim_decide(claim=uk, reviewer=reviewer, verdict=Verdict.VERIFIED, reason="Так.")
    ru = fresh(ru)
    assert (ru.verdict, ru.rationale, ru.decided_by) == (Verdict.VERIFIED, "Так.", reviewer)
    # The decision stands over later assessments on any member.
    services.assessment_submit(claim=ru, analyst=analyst, verdict=Verdict.DISPUTED)
    assert fresh(ru).verdict == fresh(uk).verdict == Verdict.VERIFIED


def test_assessments_of_every_member_count_together(
    ru_article, uk_article, make_claim, analyst, other_analyst
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    services.assessment_submit(claim=uk, analyst=other_analyst, verdict=Verdict.VERIFIED)
    for claim in (fresh(ru), fresh(uk)):
        assert (claim.verdict, claim.in_disagreement) == (Verdict.PENDING, True)


def test_linking_claims_whose_verdicts_differ_asks_which_stands(
    ru_article, uk_article, make_claim, analyst, reviewer
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    uk = make_claim(uk_article, UK_QUOTE, verdict=Verdict.VERIFIED)
    versions = {c.pk: fresh(c).version for c in (ru, uk)}
    with pytest.raises(VerdictConflictError) as caught:
        link(ru, uk_article, UK_QUOTE, analyst)
    assert "«disputed»" in caught.value.message and "«verified»" in caught.value.message
    with pytest.raises(PermissionDenied, match=MSG_NO_RIGHT_CHOOSE_VERDICT):
        link(ru, uk_article, UK_QUOTE, analyst, verdict_choice=Verdict.VERIFIED)
    # Nothing was overwritten, nothing half-written.
    assert ClaimGroup.objects.count() == 0
    assert {c.pk: c.version for c in Claim.objects.all()} == versions
    assert fresh(ru).verdict == Verdict.DISPUTED and fresh(uk).verdict == Verdict.VERIFIED

    link(ru, uk_article, UK_QUOTE, reviewer, verdict_choice=Verdict.VERIFIED)
    for claim in (fresh(ru), fresh(uk)):
        assert (claim.verdict, claim.decided_by) == (Verdict.VERIFIED, reviewer)


def test_a_choice_must_be_a_final_verdict(ru_article, uk_article, make_claim, reviewer):
    ru = make_claim(ru_article, RU_QUOTE)
    with pytest.raises(ValidationError) as caught:
        link(ru, uk_article, UK_QUOTE, reviewer, verdict_choice=Verdict.PENDING)
    assert caught.value.error_dict["verdict"][0].code == ErrorCode.CHOICE_NOT_FINAL


def test_unlink_keeps_the_verdict_and_dissolves_a_group_of_one(
    ru_article, uk_article, make_claim, analyst
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    services.claim_unlink(uk, analyst)
    assert fresh(ru).group_id is None and fresh(uk).group_id is None
    assert ClaimGroup.objects.count() == 0
    assert fresh(uk).verdict == Verdict.DISPUTED
    unlinked = HistoryEntry.objects.filter(action=HistoryEntry.Action.UNLINKED)
    assert set(unlinked.values_list("claim_ref", flat=True)) == {ru.pk, uk.pk}
    # Apart again: one's verdict no longer moves the other's.
    services.assessment_submit(claim=ru, analyst=analyst, verdict=Verdict.VERIFIED)
    assert fresh(uk).verdict == Verdict.DISPUTED
    with pytest.raises(ValidationError) as caught:
        services.claim_unlink(uk, analyst)
    assert caught.value.error_dict["group"][0].code == ErrorCode.NOT_LINKED


def test_two_groups_meet_in_one(ru_article, uk_article, make_claim, analyst):
    ru = make_claim(ru_article, RU_QUOTE)
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    ru2 = make_claim(ru_article, "президент Венесуэлы написал письмо для Владимира Путина")
    uk2 = link(ru2, uk_article, "Ніколас Мадуро надіслав Володимиру Путіну листа", analyst)
    link(ru, uk_article, "Ніколас Мадуро надіслав Володимиру Путіну листа", analyst)
    assert ClaimGroup.objects.count() == 1
    assert len({fresh(c).group_id for c in (ru, uk, ru2, uk2)}) == 1


def test_only_who_may_edit_the_claim_links_it(
    ru_article, uk_article, make_claim, other_analyst, outsider
):
    ru = make_claim(ru_article, RU_QUOTE)
    for user in (other_analyst, outsider):
        with pytest.raises(PermissionDenied, match=re.escape(MSG_NO_RIGHT_LINK)):
            link(ru, uk_article, UK_QUOTE, user)
    uk = link(ru, uk_article, UK_QUOTE, ru.created_by)
    with pytest.raises(PermissionDenied, match=re.escape(MSG_NO_RIGHT_LINK)):
        services.claim_unlink(uk, other_analyst)


def test_another_analysts_claim_is_not_pulled_in(
    ru_article, uk_article, make_claim, analyst, other_analyst
):
    ru = make_claim(ru_article, RU_QUOTE)
    make_claim(uk_article, UK_QUOTE, author=other_analyst)
    with pytest.raises(PermissionDenied, match=MSG_LINK_OTHERS_CLAIM):
        link(ru, uk_article, UK_QUOTE, analyst)
    assert ClaimGroup.objects.count() == 0


def test_the_conflict_names_no_verdict_the_reader_may_not_see(
    ru_article, uk_article, make_claim, analyst, reviewer
):
    """Blind rule: the analyst has not submitted a verdict on the Russian claim, which a
    reviewer decided, so the refusal must not tell them what the desk said."""
    ru_article.blind_review = True
    ru_article.save(update_fields=["blind_review"])
    ru = make_claim(ru_article, RU_QUOTE)
    services.claim_decide(claim=ru, reviewer=reviewer, verdict=Verdict.DISPUTED)
    make_claim(uk_article, UK_QUOTE, verdict=Verdict.VERIFIED)
    with pytest.raises(VerdictConflictError) as caught:
        link(ru, uk_article, UK_QUOTE, analyst)
    assert caught.value.message == MSG_VERDICTS_DIFFER_HIDDEN
    assert caught.value.verdicts is None


def test_a_sign_off_lapses_when_the_group_moves_the_verdict(
    ru_article, uk_article, make_claim, analyst, reviewer
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    uk = link(ru, uk_article, UK_QUOTE, analyst)
    services.claim_sign_off(claim=uk, reviewer=reviewer)
    services.claim_decide(claim=ru, reviewer=reviewer, verdict=Verdict.UNSOURCED)
    uk = fresh(uk)
    assert uk.verdict == Verdict.UNSOURCED and not uk.is_signed_off
    assert uk.sign_off_withdrawn_at is not None


def test_linking_the_claim_to_itself_is_refused(ru_article, make_claim, analyst):
    ru = make_claim(ru_article, RU_QUOTE)
    with pytest.raises(ValidationError) as caught:
        link(ru, ru_article, RU_QUOTE, analyst)
    assert caught.value.error_dict["start"][0].code == ErrorCode.LINK_SELF


def test_an_analyst_cannot_decide_the_verdict_through_a_link(
    ru_article, uk_article, make_claim, analyst
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    with pytest.raises(PermissionDenied, match=MSG_NO_RIGHT_CHOOSE_VERDICT):
        link(ru, uk_article, UK_QUOTE, analyst, verdict_choice=Verdict.VERIFIED)
    assert ClaimGroup.objects.count() == 0 and not fresh(ru).is_decided
