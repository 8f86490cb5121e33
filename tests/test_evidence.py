import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import services
from annotations.models import Evidence, HistoryEntry, SourceLink, Stance

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("https://WWW.WashingtonPost.com/world", "https://www.washingtonpost.com/world"),
        ("http://example.org", "http://example.org/"),
        ("https://example.org:443/a?b=1#section", "https://example.org/a?b=1"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("https://пример.укр/новини", "https://xn--e1afmkfd.xn--j1amh/новини"),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
    ],
)
def test_urls_are_normalised_so_citations_share_one_link(given, normalised):
    assert services.normalise_url(given) == normalised


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/file", services.MSG_URL_SCHEME),
        ("javascript:alert(1)", services.MSG_URL_SCHEME),
        ("file:///etc/passwd", services.MSG_URL_SCHEME),
        ("example.org/page", services.MSG_URL_SCHEME),
        ("https://", services.MSG_URL_INVALID),
        ("https://exa mple.org/", services.MSG_URL_INVALID),
        ("http://example.org:99999/", services.MSG_URL_INVALID),
        ("https://example.org/" + "a" * 2000, services.MSG_URL_TOO_LONG),
    ],
)
def test_bad_urls_are_refused_with_a_message(url, message):
    with pytest.raises(ValidationError) as exc:
        services.normalise_url(url)
    assert exc.value.message_dict == {"url": [message]}


def test_evidence_shares_one_source_link_per_normalised_url(ru_article, make_claim, analyst):
    first = make_claim(ru_article, QUOTE)
    second = make_claim(ru_article, "написал письмо")
    a = services.evidence_add(claim=first, actor=analyst, url="https://Example.org/story#top")
    b = services.evidence_add(
        claim=second, actor=analyst, url="https://example.org/story", stance=Stance.REFUTES
    )
    assert a.source_link_id == b.source_link_id
    assert SourceLink.objects.get().url == "https://example.org/story"
    assert a.url == "https://Example.org/story#top"  # as the analyst typed it


def test_evidence_changes_are_in_the_claims_history(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    evidence = services.evidence_add(
        claim=claim, actor=analyst, url="https://example.org/a", excerpt="письмо"
    )
    services.evidence_update(evidence=evidence, actor=analyst, url="https://example.org/b")
    services.evidence_remove(evidence=evidence, actor=analyst)
    entries = HistoryEntry.objects.filter(claim=claim, subject="evidence").order_by("id")
    assert [e.action for e in entries] == ["created", "updated", "deleted"]
    assert entries[1].changes == {"url": ["https://example.org/a", "https://example.org/b"]}
    assert {e.evidence_ref for e in entries} == {evidence.pk}
    assert set(SourceLink.objects.values_list("url", flat=True)) == {
        "https://example.org/a",
        "https://example.org/b",
    }


def test_changing_the_url_moves_the_evidence_to_another_link(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    evidence = services.evidence_add(claim=claim, actor=analyst, url="https://example.org/a")
    updated = services.evidence_update(
        evidence=evidence, actor=analyst, url="https://example.org/b"
    )
    assert updated.source_link.url == "https://example.org/b"


def test_a_bad_url_or_stance_writes_nothing(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    with pytest.raises(ValidationError):
        services.evidence_add(claim=claim, actor=analyst, url="ftp://example.org/")
    with pytest.raises(ValidationError) as exc:
        services.evidence_add(
            claim=claim, actor=analyst, url="https://example.org/", stance="maybe"
        )
    assert "Unknown stance «maybe»" in exc.value.message_dict["stance"][0]
    assert not Evidence.objects.exists()
    assert not SourceLink.objects.exists()
    assert not HistoryEntry.objects.filter(subject="evidence").exists()


def test_only_the_claims_author_or_a_reviewer_handles_its_evidence(
    ru_article, make_claim, other_analyst, reviewer
):
    claim = make_claim(ru_article, QUOTE)
    with pytest.raises(PermissionDenied):
        services.evidence_add(claim=claim, actor=other_analyst, url="https://example.org/")
    evidence = services.evidence_add(claim=claim, actor=reviewer, url="https://example.org/")
    with pytest.raises(PermissionDenied):
        services.evidence_remove(evidence=evidence, actor=other_analyst)
    assert evidence.added_by == reviewer


def test_a_url_that_grows_past_the_limit_when_encoded_is_refused():
    url = "https://пример.укр/" + "a" * 1975
    assert len(url) <= 2000
    with pytest.raises(ValidationError) as exc:
        services.normalise_url(url)
    assert exc.value.message_dict == {"url": [services.MSG_URL_TOO_LONG]}
