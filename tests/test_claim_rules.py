import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from annotations import services
from annotations.models import Claim, HistoryEntry, Verdict
from tests.conftest import span_of

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"


def messages_of(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


def test_it_creates_a_claim_with_code_point_offsets_and_context(ru_article, analyst):
    start, end = span_of(ru_article, QUOTE)
    claim = services.claim_create(article=ru_article, start=start, end=end, author=analyst)
    assert claim.quote == QUOTE == ru_article.body[claim.start : claim.end]
    assert claim.verdict == Verdict.PENDING
    assert claim.version == 1
    assert claim.prefix == ru_article.body[start - 32 : start]
    assert claim.suffix == ru_article.body[end : end + 32]
    assert claim.created_by == claim.updated_by == analyst
    entry = HistoryEntry.objects.get(claim=claim)
    assert entry.action == "created" and entry.actor == analyst
    assert entry.changes["quote"] == [None, QUOTE]


def test_context_is_shorter_at_the_edges_of_the_body(ru_article, analyst):
    claim = services.claim_create(article=ru_article, start=0, end=3, author=analyst)
    assert claim.prefix == ""
    end = len(ru_article.body)
    last = services.claim_create(article=ru_article, start=end - 5, end=end, author=analyst)
    assert last.suffix == ""


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (-1, 5, "start", services.MSG_START_NEGATIVE),
        (10, 10, "end", services.MSG_START_NOT_BEFORE_END),
        (10, 4, "end", services.MSG_START_NOT_BEFORE_END),
        ("1", 5, "start", services.MSG_OFFSET_TYPE),
        (True, 5, "start", services.MSG_OFFSET_TYPE),
        (1.0, 5, "start", services.MSG_OFFSET_TYPE),
    ],
)
def test_it_rejects_bad_offsets_naming_the_rule(ru_article, analyst, start, end, field, message):
    with pytest.raises(ValidationError) as exc:
        services.claim_create(article=ru_article, start=start, end=end, author=analyst)
    assert messages_of(exc) == {field: [message]}
    assert not Claim.objects.exists()


def test_it_rejects_an_end_past_the_body(ru_article, analyst):
    length = len(ru_article.body)
    with pytest.raises(ValidationError) as exc:
        services.claim_create(article=ru_article, start=0, end=length + 1, author=analyst)
    assert messages_of(exc) == {
        "end": [services.MSG_END_PAST_BODY.format(end=length + 1, length=length)]
    }


def test_end_may_be_the_length_of_the_body(ru_article, analyst):
    length = len(ru_article.body)
    claim = services.claim_create(article=ru_article, start=length - 1, end=length, author=analyst)
    assert claim.quote == ru_article.body[-1]


def test_it_rejects_a_quote_that_does_not_match_the_body(ru_article, analyst):
    start, end = span_of(ru_article, QUOTE)
    with pytest.raises(ValidationError) as exc:
        services.claim_create(
            article=ru_article, start=start, end=end, quote=QUOTE.upper(), author=analyst
        )
    [message] = messages_of(exc)["quote"]
    assert message == services.MSG_QUOTE_MISMATCH.format(start=start, end=end, actual=QUOTE)
    assert not Claim.objects.exists()
    assert not HistoryEntry.objects.exists()


def test_overlapping_and_nested_claims_are_allowed(ru_article, make_claim):
    outer = make_claim(ru_article, QUOTE)
    inner = make_claim(ru_article, "написал письмо")
    start, _ = span_of(ru_article, QUOTE)
    overlapping = services.claim_create(
        article=ru_article, start=start + 30, end=start + 80, author=outer.created_by
    )
    assert {outer.pk, inner.pk, overlapping.pk} == set(Claim.objects.values_list("pk", flat=True))


def test_the_same_exact_span_twice_is_rejected(ru_article, make_claim, reviewer):
    make_claim(ru_article, QUOTE)
    start, end = span_of(ru_article, QUOTE)
    with pytest.raises(ValidationError) as exc:
        services.claim_create(article=ru_article, start=start, end=end, author=reviewer)
    assert messages_of(exc) == {"start": [services.MSG_DUPLICATE_SPAN.format(start=start, end=end)]}
    assert Claim.objects.count() == 1


def test_the_database_also_refuses_a_duplicate_span(ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    duplicate = Claim(
        article=ru_article,
        start=claim.start,
        end=claim.end,
        quote=claim.quote,
        created_by=claim.created_by,
        updated_by=claim.created_by,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_same_span_on_another_article_is_fine(seeds, analyst):
    for article in seeds.values():
        services.claim_create(article=article, start=0, end=10, author=analyst)
    assert Claim.objects.count() == 2


def test_offsets_count_code_points_not_utf16_units(ru_article, analyst):
    ru_article.body = "Флаг 🇺🇦 и текст после эмодзи."
    ru_article.save()
    start = ru_article.body.index("текст")
    claim = services.claim_create(article=ru_article, start=start, end=start + 5, author=analyst)
    assert claim.quote == "текст"
    assert start == 10  # 🇺🇦 is two code points (four UTF-16 units)


def test_unknown_verdict_is_rejected(ru_article, analyst):
    with pytest.raises(ValidationError) as exc:
        services.claim_create(article=ru_article, start=0, end=5, verdict="true", author=analyst)
    assert "Unknown verdict «true»" in messages_of(exc)["verdict"][0]


def test_outsiders_cannot_create_claims(ru_article, outsider):
    with pytest.raises(PermissionDenied, match="Only analysts and reviewers"):
        services.claim_create(article=ru_article, start=0, end=5, author=outsider)


def test_update_records_what_changed_and_bumps_the_version(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    updated = services.claim_update(
        claim=claim, actor=analyst, verdict=Verdict.VERIFIED, rationale="Letter cited by WP."
    )
    assert updated.version == 2
    entry = HistoryEntry.objects.filter(claim=claim, action="updated").get()
    assert entry.changes == {
        "verdict": ["pending", "verified"],
        "rationale": ["", "Letter cited by WP."],
        "rationale_language": ["", "en"],  # the language the rationale was written in
    }


def test_an_update_that_changes_nothing_keeps_the_version(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    same = services.claim_update(claim=claim, actor=analyst, verdict=Verdict.PENDING)
    assert same.version == 1
    assert HistoryEntry.objects.filter(action="updated").count() == 0


def test_a_span_change_is_validated_and_refreshes_the_context(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    start, end = span_of(ru_article, "написал письмо")
    updated = services.claim_update(claim=claim, actor=analyst, start=start, end=end)
    assert updated.quote == "написал письмо"
    assert updated.prefix == ru_article.body[start - 32 : start]
    with pytest.raises(ValidationError):
        services.claim_update(claim=claim, actor=analyst, end=len(ru_article.body) + 5)
    claim.refresh_from_db()
    assert claim.quote == "написал письмо"


def test_a_stale_version_is_refused_and_nothing_is_overwritten(
    ru_article, make_claim, analyst, reviewer
):
    claim = make_claim(ru_article, QUOTE)
    services.claim_update(claim=claim, actor=reviewer, expected_version=1, verdict=Verdict.DISPUTED)
    with pytest.raises(services.StaleClaimError) as exc:
        services.claim_update(
            claim=claim, actor=analyst, expected_version=1, verdict=Verdict.VERIFIED
        )
    assert exc.value.current.version == 2
    claim.refresh_from_db()
    assert claim.verdict == Verdict.DISPUTED


def test_analysts_change_only_their_own_claims(ru_article, make_claim, other_analyst, reviewer):
    claim = make_claim(ru_article, QUOTE)
    with pytest.raises(PermissionDenied, match="own claims"):
        services.claim_update(claim=claim, actor=other_analyst, verdict=Verdict.VERIFIED)
    with pytest.raises(PermissionDenied):
        services.claim_delete(claim=claim, actor=other_analyst)
    overridden = services.claim_update(claim=claim, actor=reviewer, verdict=Verdict.DISPUTED)
    assert overridden.verdict == Verdict.DISPUTED and overridden.updated_by == reviewer


def test_sign_off_needs_a_reviewer_and_a_final_verdict(ru_article, make_claim, analyst, reviewer):
    claim = make_claim(ru_article, QUOTE)
    with pytest.raises(PermissionDenied, match="Only reviewers"):
        services.claim_sign_off(claim=claim, reviewer=analyst)
    with pytest.raises(ValidationError) as exc:
        services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert messages_of(exc) == {"verdict": [services.MSG_SIGN_OFF_PENDING]}
    services.claim_update(claim=claim, actor=analyst, verdict=Verdict.VERIFIED)
    signed = services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert signed.signed_off_by == reviewer and signed.signed_off_at is not None
    again = services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert again.version == signed.version
    assert HistoryEntry.objects.filter(claim=claim, action="signed_off").count() == 1


def test_changing_a_signed_off_verdict_withdraws_the_sign_off(
    ru_article, make_claim, analyst, reviewer
):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    changed = services.claim_update(claim=claim, actor=analyst, verdict=Verdict.DISPUTED)
    assert not changed.is_signed_off
    entry = HistoryEntry.objects.filter(claim=claim, action="updated").get()
    assert entry.changes["signed_off_by"] == [reviewer.pk, None]


def test_revoking_a_sign_off(ru_article, make_claim, reviewer):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    revoked = services.claim_revoke_sign_off(claim=claim, reviewer=reviewer)
    assert not revoked.is_signed_off
    assert HistoryEntry.objects.filter(claim=claim, action="sign_off_revoked").exists()


def test_deleting_a_claim_keeps_its_history(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    pk = claim.pk
    services.claim_delete(claim=claim, actor=analyst)
    assert not Claim.objects.filter(pk=pk).exists()
    actions = set(HistoryEntry.objects.filter(claim_ref=pk).values_list("action", flat=True))
    assert actions == {"created", "deleted"}


def test_bulk_verdict_is_all_or_nothing(ru_article, make_claim, other_analyst, analyst):
    mine = make_claim(ru_article, QUOTE)
    theirs = make_claim(ru_article, "написал письмо", author=other_analyst)
    with pytest.raises(PermissionDenied):
        services.claims_set_verdict(claims=[mine, theirs], verdict=Verdict.VERIFIED, actor=analyst)
    mine.refresh_from_db()
    assert mine.verdict == Verdict.PENDING


def test_roles(analyst, reviewer, outsider, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    assert services.is_analyst(analyst) and not services.is_reviewer(analyst)
    assert services.is_reviewer(reviewer)
    assert services.is_reviewer(admin) and services.is_analyst(admin)
    assert not services.can_create_claims(outsider)
    outsider.is_active = False
    assert services.user_roles(outsider) == frozenset()


def test_analysts_cannot_delete_a_signed_off_claim(ru_article, make_claim, analyst, reviewer):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    with pytest.raises(PermissionDenied, match="not once a reviewer has signed them off"):
        services.claim_delete(claim=claim, actor=analyst)
    services.claim_delete(claim=claim, actor=reviewer)
    assert not Claim.objects.exists()
