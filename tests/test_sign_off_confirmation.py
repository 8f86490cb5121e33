"""Bulk sign-off in the admin asks first, per claim, with what blocks each (issue 10, item 8)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.admin.claims import SIGN_OFF_FIELD
from annotations.models import Claim, Evidence, LinkOutcome, SourceLink, Verdict
from annotations.services import blockers as b

CHANGELIST = "admin:annotations_claim_changelist"


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def claim_at(ru_article, analyst):
    """A claim on the n-th slice of the article, with the given verdict, rationale, evidence."""

    def make(n: int, *, verdict=Verdict.VERIFIED, rationale="Checked.", links=("ok",)):
        claim = services.claim_create(
            article=ru_article,
            start=n * 12,
            end=n * 12 + 10,
            author=analyst,
            verdict=verdict,
            rationale=rationale,
        )
        for i, outcome in enumerate(links):
            url = f"https://example.org/{claim.pk}/{i}"
            services.evidence_add(claim=claim, actor=analyst, url=url)
            SourceLink.objects.filter(url=url).update(outcome=outcome)
        return Claim.objects.get(pk=claim.pk)

    return make


def codes(blockers: list[b.Blocker]) -> list[str]:
    return [blocker.code for blocker in blockers]


def confirm_page(client, claims):
    return client.post(
        reverse(CHANGELIST), {"action": "sign_off", "_selected_action": [c.pk for c in claims]}
    )


def confirm(client, ticked, selected=None):
    return client.post(
        reverse(CHANGELIST),
        {
            "action": "sign_off",
            "post": "yes",
            "_selected_action": [c.pk for c in (selected or ticked)],
            SIGN_OFF_FIELD: [f"{c.pk}:{c.version}" for c in ticked],
        },
        follow=True,
    )


def ticked_on(page: str) -> set[int]:
    return {
        int(m.group(1))
        for m in re.finditer(rf'name="{SIGN_OFF_FIELD}" value="(\d+):\d+"[^>]*checked', page)
    }


def boxes_on(page: str) -> set[int]:
    return {int(m.group(1)) for m in re.finditer(rf'name="{SIGN_OFF_FIELD}" value="(\d+):', page)}


# --- the rule (services.sign_off_blockers)


def test_a_clean_claim_has_no_blockers(claim_at):
    claim = claim_at(0)
    assert services.sign_off_blockers([claim]) == {claim.pk: []}


def test_each_blocker_is_named(claim_at):
    pending = claim_at(0, verdict=Verdict.PENDING)
    bare = claim_at(1, rationale="  ", links=())
    broken = claim_at(2, links=("ok", LinkOutcome.BROKEN))
    changed = claim_at(3)
    Evidence.objects.filter(claim=changed).update(source_changed_at=timezone.now())
    gone = claim_at(4)
    Evidence.objects.filter(claim=gone).update(excerpt_found=False)
    found = services.sign_off_blockers([pending, bare, broken, changed, gone])
    assert codes(found[pending.pk]) == ["pending"]
    assert codes(found[bare.pk]) == ["no_rationale", "no_evidence"]
    assert codes(found[broken.pk]) == ["link_failing"]
    assert f"https://example.org/{broken.pk}/1" in found[broken.pk][0].message
    assert "broken" in found[broken.pk][0].message
    assert codes(found[changed.pk]) == ["source_changed"]
    assert found[gone.pk][0].message.startswith("The quoted excerpt is no longer on the page")
    assert found[pending.pk][0].hard and not found[bare.pk][0].hard


def test_analysts_who_disagree_block_the_sign_off(claim_at, other_analyst, reviewer):
    claim = claim_at(0)
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict=Verdict.DISPUTED)
    found = services.sign_off_blockers([claim])[claim.pk]
    assert codes(found)[:2] == ["disagreement", "pending"]
    services.claim_decide(claim=claim, reviewer=reviewer, verdict=Verdict.VERIFIED, reason="WP.")
    assert services.sign_off_blockers([claim]) == {claim.pk: []}


def test_an_unchecked_link_does_not_block(claim_at):
    claim = claim_at(0, links=(LinkOutcome.PENDING,))
    assert services.sign_off_blockers([claim]) == {claim.pk: []}


def test_an_orphaned_claim_is_blocked_hard(claim_at):
    claim = claim_at(0)
    Claim.objects.filter(pk=claim.pk).update(is_orphaned=True)
    [blocker] = services.sign_off_blockers(Claim.objects.filter(pk=claim.pk))[claim.pk]
    assert blocker.code == "orphaned" and blocker.hard


def test_one_claim_read_with_its_evidence_gives_the_same_answer(claim_at):
    from annotations.selectors import claims_queryset

    claims = [claim_at(0), claim_at(1, rationale="", links=(LinkOutcome.TIMEOUT,))]
    many = services.sign_off_blockers(claims)
    for claim in claims_queryset().filter(pk__in=[c.pk for c in claims]):
        assert services.claim_sign_off_blockers(claim) == many[claim.pk]


@pytest.mark.parametrize("count", [3, 12])
def test_blockers_take_two_queries_however_many_claims(claim_at, count):
    claims = [claim_at(n, links=("ok", LinkOutcome.BROKEN)) for n in range(count)]
    with CaptureQueriesContext(connection) as queries:
        found = services.sign_off_blockers(Claim.objects.filter(pk__in=[c.pk for c in claims]))
    assert len(found) == count
    assert len(queries) == 2


# --- the admin's confirmation page


def test_the_action_asks_first_and_signs_nothing_off(reviewer_client, claim_at):
    claim = claim_at(0)
    response = confirm_page(reviewer_client, [claim])
    assert response.status_code == 200
    assert "Sign off these claims?" in response.content.decode()
    claim.refresh_from_db()
    assert not claim.is_signed_off


def test_the_nine_claims_of_the_issue(reviewer_client, claim_at, other_analyst):
    """The issue: 9 claims signed off in one click, a broken link and no evidence among them."""
    clean = [claim_at(n) for n in range(4)]
    broken = claim_at(4, links=(LinkOutcome.BROKEN,))
    no_rationale = claim_at(5, rationale="")
    no_evidence = claim_at(6, links=())
    changed = claim_at(7)
    Evidence.objects.filter(claim=changed).update(source_changed_at=timezone.now())
    disagreeing = claim_at(8)
    services.assessment_submit(claim=disagreeing, analyst=other_analyst, verdict=Verdict.DISPUTED)
    pending = Claim.objects.get(pk=disagreeing.pk)  # the analysts disagree: the desk is pending
    blocked = [broken, no_rationale, no_evidence, changed, pending]
    everything = clean + blocked

    page = confirm_page(reviewer_client, everything).content.decode()
    for message in (
        "A source link fails (broken)",
        b.MSG_BLOCKER_NO_RATIONALE,
        b.MSG_BLOCKER_NO_EVIDENCE,
        "The source changed since it was cited",
        b.MSG_BLOCKER_PENDING,
        b.MSG_BLOCKER_DISAGREEMENT,
    ):
        assert message in page
    assert "9 claims selected: 4 with nothing in the way are ticked; 5" in page
    assert ticked_on(page) == {c.pk for c in clean}
    assert boxes_on(page) == {c.pk for c in everything if c is not pending}

    # Confirm as the page stands: exactly the four clean claims.
    response = confirm(reviewer_client, clean, selected=everything)
    assert "4 claim(s) signed off." in response.content.decode()
    signed = set(Claim.objects.filter(signed_off_at__isnull=False).values_list("pk", flat=True))
    assert signed == {c.pk for c in clean}


def test_a_blocked_claim_is_signed_off_when_ticked_by_itself(reviewer_client, reviewer, claim_at):
    clean, bare = claim_at(0), claim_at(1, rationale="", links=())
    confirm(reviewer_client, [bare], selected=[clean, bare])
    assert set(Claim.objects.filter(signed_off_by=reviewer).values_list("pk", flat=True)) == {
        bare.pk
    }


def test_a_pending_claim_ticked_by_hand_is_still_left_out(reviewer_client, claim_at):
    clean, pending = claim_at(0), claim_at(1, verdict=Verdict.PENDING)
    response = confirm(reviewer_client, [clean, pending])
    assert "1 claim(s) signed off." in response.content.decode()
    assert not Claim.objects.get(pk=pending.pk).is_signed_off


def test_nothing_ticked_signs_nothing_off(reviewer_client, claim_at):
    claim = claim_at(0)
    response = confirm(reviewer_client, [], selected=[claim])
    assert "no claim was ticked" in response.content.decode()
    assert not Claim.objects.get(pk=claim.pk).is_signed_off


def test_cancel_goes_back_to_the_list_and_changes_nothing(reviewer_client, claim_at):
    claim = claim_at(0)
    page = reviewer_client.post(
        reverse(CHANGELIST) + "?verdict__exact=verified",
        {"action": "sign_off", "_selected_action": [claim.pk]},
    ).content.decode()
    cancel = re.search(r'<a href="([^"]+)" class="button cancel-link">', page)
    assert cancel and cancel.group(1) == reverse(CHANGELIST) + "?verdict__exact=verified"
    assert reviewer_client.get(cancel.group(1)).status_code == 200
    assert not Claim.objects.get(pk=claim.pk).is_signed_off


def test_a_claim_changed_since_the_page_was_made_signs_nothing_off(
    reviewer_client, analyst, claim_at
):
    first, second = claim_at(0), claim_at(1)
    seen = [Claim.objects.get(pk=first.pk), Claim.objects.get(pk=second.pk)]
    services.claim_update(claim=second.pk, actor=analyst, rationale="")  # now blocked
    response = confirm(reviewer_client, seen)
    page = response.content.decode()
    assert f"claim {second.pk} changed since" in page
    assert ticked_on(page) == {first.pk}  # the page again, from the new state
    assert not Claim.objects.filter(signed_off_at__isnull=False).exists()


def test_already_signed_off_claims_are_said_so(reviewer_client, reviewer, claim_at):
    claim = claim_at(0)
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    page = confirm_page(reviewer_client, [claim]).content.decode()
    assert f"Already signed off by {reviewer.username}" in page
    assert boxes_on(page) == set()


def test_an_analyst_does_not_get_the_action(client, analyst, claim_at):
    analyst.is_staff = True
    analyst.save()
    claim = claim_at(0)
    client.force_login(analyst)
    response = confirm(client, [claim])
    assert not Claim.objects.get(pk=claim.pk).is_signed_off
    assert "Sign off these claims?" not in response.content.decode()


def test_the_confirmation_page_runs_a_fixed_number_of_queries(reviewer_client, claim_at):
    def queries_for(claims) -> int:
        confirm_page(reviewer_client, claims)  # warm the session and the content types
        with CaptureQueriesContext(connection) as queries:
            page = confirm_page(reviewer_client, claims).content.decode()
        assert page.count('class="sign-off-blockers"') == len(claims)
        return len(queries)

    claims = [claim_at(n, links=("ok", LinkOutcome.BROKEN)) for n in range(3)]
    few = queries_for(claims)
    claims += [claim_at(n, links=("ok", LinkOutcome.BROKEN)) for n in range(3, 15)]
    assert queries_for(claims) == few
