"""The desk's data: articles, the claims highlighted in them, evidence and source links.

Rules that span rows or have side effects (offset checks, history, sign-off,
link checks) live in ``annotations.services``; the database constraints here are
the last line of defence behind them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Verdict(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    UNSOURCED = "unsourced", "Unsourced"

    @classmethod
    def final(cls) -> list[str]:
        return [cls.VERIFIED, cls.DISPUTED, cls.UNSOURCED]


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    CONTEXT = "context", "Context"


class LinkOutcome(models.TextChoices):
    PENDING = "pending", "Not checked yet"
    OK = "ok", "OK"
    REDIRECTED = "redirected", "Redirected"
    BROKEN = "broken", "Broken"
    TIMEOUT = "timeout", "Timed out"
    UNREACHABLE = "unreachable", "Unreachable"
    BLOCKED = "blocked", "Blocked by the safety policy"
    INVALID = "invalid", "Invalid URL"

    @classmethod
    def unhealthy(cls) -> list[str]:
        return [cls.BROKEN, cls.TIMEOUT, cls.UNREACHABLE, cls.BLOCKED, cls.INVALID]

    @classmethod
    def gone(cls) -> list[str]:
        """The page was there once and no longer answers: its archived copy stands in."""
        return [cls.BROKEN, cls.TIMEOUT, cls.UNREACHABLE]


class TextSource(models.TextChoices):
    """Which text of a page a check compared: the article's main text, or (when no main text
    was found) every visible word."""

    MAIN = "main", "Main text"
    VISIBLE = "visible", "Visible text"


class Article(models.Model):
    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=120, unique=True)
    body = models.TextField(help_text="Canonical plain text (NFC); claim offsets point into it.")
    language = models.CharField(max_length=35, help_text="BCP 47 code, e.g. ru or uk.")
    source_name = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=200, blank=True, help_text="Byline, where known.")
    published_on = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the body.")
    text_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current body came in (its text version's date)."
    )
    source_file = models.CharField(
        max_length=255, blank=True, help_text="Name of the file the article was imported from."
    )
    blind_review = models.BooleanField(
        null=True,
        blank=True,
        help_text="Blind double-checking: analysts see neither the other analysts' assessments "
        "nor the desk verdict until they have submitted their own. Empty: the desk default.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_file"],
                condition=~Q(source_file=""),
                name="article_unique_source_file",
            ),
            # A page added by its link is the same article however often it is added.
            models.UniqueConstraint(
                fields=["source_url"],
                condition=~Q(source_url=""),
                name="article_unique_source_url",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ClaimGroup(models.Model):
    """One claim appearing in several articles: its members share the desk verdict.

    Each member (a ``Claim``) keeps its own quote, offsets and evidence; the rule that keeps
    their verdicts in step is ``services.claim_groups``.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_groups_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The group's public page (``services.claim_group_publish``): public while published
    # after the latest sign-off of every member and the latest change of who the members
    # are; the slug is kept after unpublishing, so the old address answers 410.
    members_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a claim last joined the group."
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claim_groups_published",
    )
    public_slug = models.SlugField(
        max_length=80,
        blank=True,
        allow_unicode=True,
        help_text="The public page's slug, set when first published and kept.",
    )

    def __str__(self) -> str:
        return f"claim group {self.pk}"


class LiveClaimManager(models.Manager["Claim"]):
    """Claims not deleted: what every list, detail, export, count and span check reads."""

    def get_queryset(self) -> models.QuerySet["Claim"]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Claim(models.Model):
    """A passage of an article and the desk's verdict on it.

    Each analyst's own verdict and rationale is an ``Assessment``; ``verdict`` and
    ``rationale`` here are the desk's, kept by ``services.assessments``: they follow the
    assessments while these agree, and a reviewer's decision once one is made.

    A deleted claim is kept (``deleted_at``), with its evidence and history, until the
    retention period ends, so it can be restored as itself; ``objects`` leaves it out.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    start = models.PositiveIntegerField(help_text="Offset in Unicode code points, inclusive.")
    end = models.PositiveIntegerField(help_text="Offset in Unicode code points, exclusive.")
    quote = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    is_orphaned = models.BooleanField(
        default=False,
        help_text="The article text changed and the quote could not be found again.",
    )
    orphaned_text_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="Orphaned: the content hash of the last article text the claim's span indexed.",
    )
    orphaned_text_at = models.DateTimeField(
        null=True, blank=True, help_text="Orphaned: that text version's date."
    )
    verdict = models.CharField(
        max_length=16,
        choices=Verdict.choices,
        default=Verdict.PENDING,
        help_text="The desk verdict, which exports publish.",
    )
    rationale = models.TextField(blank=True, help_text="The desk's reasoning for its verdict.")
    rationale_language = models.CharField(
        max_length=35,
        blank=True,
        help_text="BCP 47 code of the rationale's language; empty: unknown.",
    )
    in_disagreement = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Analysts' verdicts differ and no reviewer has decided yet.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims_created"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims_updated"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_signed_off",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="A later change withdrew the sign-off; none given since."
    )
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims_deleted",
    )
    # The public fact-check page (``services.publishing``): public while published after the
    # latest sign-off; the slug is kept after unpublishing, so the old address answers 410.
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_published",
    )
    public_slug = models.SlugField(
        max_length=80,
        blank=True,
        allow_unicode=True,
        help_text="The public page's slug, set when first published and kept.",
    )

    # Where an imported claim came from, so that importing it again updates it (claim_import).
    external_source = models.CharField(
        max_length=500,
        blank=True,
        help_text="Imported claims: the desk or tool the claim came from (e.g. its API root).",
    )
    external_id = models.CharField(
        max_length=500, blank=True, help_text="Imported claims: its id there, unique per source."
    )
    group = models.ForeignKey(
        ClaimGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text="The other appearances of the same claim, which share its desk verdict.",
    )

    with_deleted = models.Manager()
    objects = LiveClaimManager()

    class Meta:
        ordering = ["article_id", "start", "end", "id"]
        default_manager_name = "objects"
        base_manager_name = "with_deleted"
        permissions = [("sign_off_claim", "Can sign off claims")]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="claim_start_before_end"),
            models.UniqueConstraint(
                fields=["article", "start", "end"],
                condition=Q(is_orphaned=False, deleted_at__isnull=True),
                name="claim_unique_span_per_article",
            ),
            models.CheckConstraint(
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
                name="claim_sign_off_complete",
            ),
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="claim_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["verdict"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        quote = self.quote if len(self.quote) <= 60 else self.quote[:59] + "…"
        return f"«{quote}»"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None


class Assessment(models.Model):
    """One analyst's own verdict on a claim and why; a claim has at most one per analyst."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="assessments")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.PENDING)
    rationale = models.TextField(blank=True)
    rationale_language = models.CharField(
        max_length=35,
        blank=True,
        help_text="BCP 47 code of the rationale's language; empty: unknown.",
    )
    # Plain defaults, not auto_now: migrated assessments keep their claims' times.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "analyst"], name="assessment_one_per_analyst_per_claim"
            ),
        ]
        indexes = [models.Index(fields=["analyst", "verdict"])]

    def __str__(self) -> str:
        return f"{self.analyst} on claim {self.claim_id}: {self.verdict}"

    @property
    def is_submitted(self) -> bool:
        """Pending is a highlight not judged yet: the blind rule waits for a verdict."""
        return self.verdict != Verdict.PENDING


class ArticleAssignment(models.Model):
    """A reviewer handing an article to an analyst; several analysts make a double check."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="assignments")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments_given",
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "analyst"], name="assignment_one_per_analyst_per_article"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} → {self.analyst}"


class Comment(models.Model):
    """The discussion of a claim, apart from the rationales: anyone on the desk may write."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField()
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="comment_mentions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on claim {self.claim_id}"


class Notification(models.Model):
    """One line of a desk member's inbox."""

    class Kind(models.TextChoices):
        MENTIONED = "mentioned", "Mentioned"
        ASSIGNED = "assigned", "Article assigned"
        VERDICT_DECIDED = "verdict_decided", "Desk verdict decided"
        SIGNED_OFF = "signed_off", "Signed off"
        SIGN_OFF_WITHDRAWN = "sign_off_withdrawn", "Sign-off withdrawn"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications_caused",
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.kind}"


class CheckState(models.Model):
    """What one check of a link found: kept per attempt (LinkCheck) and as the latest (SourceLink).

    ``linkcheck.record.check_state`` is the one mapping from a fetch result to these fields.
    """

    outcome = models.CharField(max_length=16, choices=LinkOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    redirect_chain = models.JSONField(default=list, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    page_title = models.CharField(max_length=500, blank=True)
    content_length = models.PositiveBigIntegerField(null=True, blank=True)
    body_truncated = models.BooleanField(default=False)
    body_sha256 = models.CharField(max_length=64, blank=True)
    text_sha256 = models.CharField(
        max_length=64, blank=True, help_text="Hash of every visible word of the page."
    )
    main_text_sha256 = models.CharField(
        max_length=64, blank=True, help_text="Hash of the article's main text, when one was found."
    )
    text_source = models.CharField(
        max_length=8,
        choices=TextSource.choices,
        blank=True,
        help_text="The text that decided whether the page changed.",
    )
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)  # names the policy; every desk role may read it
    error_detail = models.TextField(
        blank=True, help_text="For reviewers only: what a blocked host resolved to."
    )

    class Meta:
        abstract = True


class SourceLink(CheckState):
    """One row per normalised URL, shared by every piece of evidence that cites it.

    Its check fields hold the latest final check in full (the history rows keep every attempt).
    """

    url = models.URLField(max_length=2000, unique=True)
    outcome = models.CharField(
        max_length=16, choices=LinkOutcome.choices, default=LinkOutcome.PENDING
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    text_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the page's text (not its markup) last changed."
    )
    # Bookkeeping of the background checks.
    host = models.CharField(max_length=255, blank=True, db_index=True)
    check_requested_at = models.DateTimeField(null=True, blank=True)
    checking_until = models.DateTimeField(
        null=True, blank=True, help_text="Lease of the check running now (per-host limit)."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Attempts made by the latest check (retries included)."
    )
    archive_retry_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The latest check's page could not be archived: check again from then.",
    )
    # The latest Wayback Machine submission (``WaybackCapture`` keeps each), kept here so that
    # every link response reads it without a join.
    wayback_status = models.CharField(
        max_length=16, blank=True, help_text="Latest Wayback submission; empty: never submitted."
    )
    wayback_url = models.URLField(
        max_length=2200, blank=True, help_text="The latest Wayback Machine copy (memento)."
    )
    wayback_archived_at = models.DateTimeField(
        null=True, blank=True, help_text="When the Wayback Machine captured that copy."
    )

    class Meta:
        indexes = [models.Index(fields=["outcome", "last_checked_at"])]

    def __str__(self) -> str:
        return self.url


class LinkCheck(CheckState):
    """One attempt to fetch a source link; the link keeps the latest state."""

    source_link = models.ForeignKey(SourceLink, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField()
    attempt = models.PositiveSmallIntegerField(default=1)
    will_retry = models.BooleanField(
        default=False, help_text="A transient failure: the check is tried again later."
    )
    archive_error = models.TextField(
        blank=True, help_text="Why the page this check read was not archived (tried again later)."
    )

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"{self.source_link.url}: {self.outcome} at {self.checked_at:%Y-%m-%d %H:%M}"


class WaybackStatus(models.TextChoices):
    PENDING = "pending", "Submitted, waiting for the Wayback Machine"
    SUCCESS = "success", "Archived by the Wayback Machine"
    ERROR = "error", "The Wayback Machine could not archive it"


class WaybackCapture(models.Model):
    """One submission of a source link to the Internet Archive's Save Page Now 2 API.

    ``annotations.wayback.service`` moves it on, one step (a submission or a status poll) per
    task run; ``step`` fences those runs, so a message delivered twice acts once.
    """

    source_link = models.ForeignKey(
        SourceLink, on_delete=models.CASCADE, related_name="wayback_captures"
    )
    status = models.CharField(
        max_length=16, choices=WaybackStatus.choices, default=WaybackStatus.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest POST /save (the rate limit counts these)."
    )
    job_id = models.CharField(max_length=100, blank=True, help_text="SPN2's id of the capture.")
    memento_url = models.URLField(max_length=2200, blank=True)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="The memento's timestamp: when the archive captured it."
    )
    status_ext = models.CharField(
        max_length=64, blank=True, help_text="SPN2's error code, e.g. error:not-found."
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Submissions made.")
    finished_at = models.DateTimeField(null=True, blank=True)
    # Bookkeeping of the background steps.
    step = models.PositiveIntegerField(default=0)
    next_step_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next step is due (the sweep looks here)."
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        get_latest_by = "requested_at"
        constraints = [
            models.UniqueConstraint(
                fields=["source_link"],
                condition=Q(status="pending"),
                name="wayback_one_pending_capture_per_link",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_step_at"]),
            models.Index(fields=["submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_link.url}: {self.status}"


class Evidence(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    source_link = models.ForeignKey(SourceLink, on_delete=models.PROTECT, related_name="evidence")
    url = models.URLField(max_length=2000, help_text="The URL as the analyst gave it.")
    title = models.CharField(max_length=500, blank=True)
    excerpt = models.TextField(blank=True, help_text="Quoted from the source.")
    note = models.TextField(blank=True)
    stance = models.CharField(max_length=16, choices=Stance.choices, default=Stance.SUPPORTS)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evidence_added"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the link checks found about this citation.
    cited_text_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="Visible-text hash of the source as first seen once cited.",
    )
    cited_main_text_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="Main-text hash of the source as first seen once cited (or at the first check "
        "that found a main text).",
    )
    source_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the source's text first differed from that."
    )
    excerpt_found = models.BooleanField(
        null=True, blank=True, help_text="Is the excerpt still on the page? Empty: unknown."
    )
    pinned_snapshot = models.ForeignKey(
        "Snapshot",
        on_delete=models.PROTECT,  # what the analyst saw is never pruned
        null=True,
        blank=True,
        related_name="pinned_by",
        help_text="The archived copy taken when this citation was made.",
    )

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title or self.url


class ExportRecord(models.Model):
    """A claim's json/jsonl record, CSV rows and W3C annotation as last built
    (``exports.stored``).

    Building a record joins a claim to its article, users, evidence, links, assessments and
    comments; reading it back is a fraction of that. Database triggers empty the texts and
    bump ``generation`` whenever a row the record shows changes, in the writer's own
    transaction, so a stored text is never stale, whatever wrote the change. The triggers
    also add and remove the rows with their claims.
    """

    claim = models.OneToOneField(
        Claim,
        # The triggers remove the row with its claim: the ORM need not look for it.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="export_record",
    )
    generation = models.BigIntegerField(
        default=0, help_text="Bumped by every change the record shows."
    )
    root = models.CharField(
        max_length=500, blank=True, help_text="The API address the stored text's links use."
    )
    json = models.TextField(blank=True, help_text="Empty: not built since it last changed.")
    csv = models.TextField(blank=True, help_text="The CSV row (raw mode), with its LF.")
    csv_excel = models.TextField(blank=True, help_text="The CSV row for spreadsheets.")
    w3c = models.TextField(blank=True, help_text="The claim as a W3C Web Annotation.")

    def __str__(self) -> str:
        return f"export record of claim {self.claim_id}"


class Snapshot(models.Model):
    """One archived capture of a source link: a WARC file (request and response records, or a
    request and a ``revisit`` record when the body is one already stored) in the snapshot
    storage. Written by ``linkcheck.archive``; read back with ``snapshot_read``.
    """

    source_link = models.ForeignKey(SourceLink, on_delete=models.CASCADE, related_name="snapshots")
    link_check = models.ForeignKey(
        LinkCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="snapshots"
    )
    captured_at = models.DateTimeField()
    url = models.URLField(max_length=2000, help_text="The URL the body came from (final hop).")
    http_status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=200, blank=True)
    body_sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(help_text="Bytes of the body kept.")
    truncated = models.BooleanField(default=False, help_text="The body was cut at the cap.")
    storage_key = models.CharField(max_length=500, unique=True)
    stored_bytes = models.PositiveBigIntegerField(help_text="Size of the WARC file.")
    warc_record_id = models.CharField(max_length=100, help_text="Of the response or revisit.")
    refers_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,  # a revisit needs its original's body
        null=True,
        blank=True,
        related_name="revisits",
        help_text="For a revisit: the snapshot that holds the identical body.",
    )

    class Meta:
        ordering = ["-captured_at", "-id"]
        get_latest_by = "captured_at"
        indexes = [models.Index(fields=["source_link", "body_sha256"])]

    def __str__(self) -> str:
        return f"{self.url} at {self.captured_at:%Y-%m-%d %H:%M}"

    @property
    def is_revisit(self) -> bool:
        return self.refers_to_id is not None


class HistoryEntry(models.Model):
    """The audit trail: who changed what on a claim or its evidence, and when.

    Rows outlive what they describe (the foreign keys are nulled, not cascaded),
    so a deleted claim still leaves its story behind.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"
        RESTORED = "restored", "Restored"
        SIGNED_OFF = "signed_off", "Signed off"
        SIGN_OFF_REVOKED = "sign_off_revoked", "Sign-off revoked"
        DECIDED = "decided", "Desk verdict decided"
        REANCHORED = "reanchored", "Re-anchored after a text change"
        ORPHANED = "orphaned", "Lost after a text change"
        LINKED = "linked", "Linked to the same claim elsewhere"
        UNLINKED = "unlinked", "Unlinked from the same claim elsewhere"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    class Subject(models.TextChoices):
        CLAIM = "claim", "Claim"
        EVIDENCE = "evidence", "Evidence"
        ASSESSMENT = "assessment", "Assessment"

    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="history"
    )
    claim_ref = models.PositiveBigIntegerField(help_text="The claim's id, kept after deletion.")
    subject = models.CharField(max_length=16, choices=Subject.choices)
    evidence_ref = models.PositiveBigIntegerField(null=True, blank=True)
    assessment_ref = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=24, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="history_entries",
        help_text="Empty for changes made by the system (imports).",
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "history entries"
        indexes = [models.Index(fields=["claim_ref", "at"])]

    def __str__(self) -> str:
        return f"{self.subject} {self.claim_ref}: {self.action}"


TOKEN_PREFIX_LENGTH = 8


class ApiToken(models.Model):
    """One token per user; only its digest and a short prefix are kept."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    prefix = models.CharField(
        max_length=TOKEN_PREFIX_LENGTH, help_text="The key's first characters."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class ExportJob(models.Model):
    """An export written to a file by a worker, for exports too long to wait for.

    It holds the request (format and claim filters, as the query string of the streamed
    export), its progress, and the manifest of the file: record count, size and SHA-256.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    format = models.CharField(max_length=24)
    query = models.JSONField(default=list, help_text="[[name, value], ...] as requested.")
    api_root = models.URLField(max_length=500, help_text="The API's address the records use.")
    address = models.URLField(max_length=500, help_text="The streamed export's address.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    records_total = models.PositiveIntegerField(null=True, blank=True)
    records_done = models.PositiveIntegerField(default=0)
    storage_key = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes of the file.")
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"

    @property
    def query_string(self) -> str:
        """The query as it was asked, ``format=jsonl&article=3``."""
        from urllib.parse import urlencode

        return urlencode([tuple(pair) for pair in self.query])


class Passage(models.Model):
    """A sentence of an article, indexed for the same-claim matcher (``annotations.matching``).

    ``key`` is the sentence's folded lemmas, numbers and names; the database indexes it (a
    generated ``tsvector`` with a GIN index on PostgreSQL, an FTS5 table on SQLite, both made
    by migration 0013). Rows are rewritten whenever the article's text is written.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="passages")
    start = models.PositiveIntegerField(help_text="Offset in Unicode code points, inclusive.")
    end = models.PositiveIntegerField(help_text="Offset in Unicode code points, exclusive.")
    key = models.TextField(help_text="Folded lemmas, numbers and names the index searches.")

    class Meta:
        ordering = ["article_id", "start"]
        indexes = [models.Index(fields=["article", "start"])]

    def __str__(self) -> str:
        return f"passage {self.article_id}:{self.start}-{self.end}"


class PassageTerm(models.Model):
    """How many passages hold a key term (the matcher weighs rare terms above common ones).

    Kept by ``annotations.matching.index`` with every passage write; the row with the empty
    term counts all passages.
    """

    term = models.CharField(max_length=200, primary_key=True)
    passages = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term}: {self.passages}"


class ArticleFetch(models.Model):
    """A link being fetched by a worker to become an article, and what came of it.

    The worker fetches the page through the link checks' safe fetcher and extracts a draft
    (cleaned text, title, author, date, detected language). With ``save_when_ready`` it saves
    the draft at once; otherwise the job waits, ``ready``, for the user to correct the title or
    language and save it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        FETCHING = "fetching", "Fetching"
        READY = "ready", "Ready to save"
        DONE = "done", "Saved"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="article_fetches"
    )
    url = models.URLField(max_length=2000)
    save_when_ready = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    draft = models.JSONField(default=dict, blank=True, help_text="What the page gave, unsaved.")
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="fetches"
    )
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"fetch {self.pk} ({self.url}, {self.status})"
