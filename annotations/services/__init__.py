"""The desk's rules, in one place.

Every entry point (admin, REST API, web UI, management commands, Celery tasks)
writes through these functions, so a rule holds however a change arrives. Each
write runs in one transaction and records what it changed in the history.
Rule violations raise ``ValidationError`` (with the field, a message that
names the rule and a stable ``ErrorCode``), missing rights raise
``PermissionDenied``, and a stale version raises ``StaleClaimError``.

The modules split the rules by concern; callers use the names re-exported here
(``from annotations import services; services.claim_create(...)``).
"""

from annotations.linkcheck.archive import (
    SnapshotContent,
    SnapshotUnavailable,
    snapshot_read,
    snapshots_write_warc,
)
from annotations.services.articles import ArticleImport, article_import
from annotations.services.assessments import (
    StaleAssessmentError,
    article_is_blind,
    assessment_submit,
    can_see_judgments,
    claim_decide,
    desk_state,
)
from annotations.services.claims import (
    claim_create,
    claim_update,
    claims_set_verdict,
    claims_sign_off,
    validate_claim_span,
    validate_verdict,
)
from annotations.services.deletion import claim_delete, claim_restore, claims_purge_deleted
from annotations.services.errors import (
    MSG_CLAIM_ORPHANED,
    MSG_DUPLICATE_SPAN,
    MSG_END_PAST_BODY,
    MSG_NO_RIGHT_AGREEMENT,
    MSG_NO_RIGHT_ASSESS,
    MSG_NO_RIGHT_CREATE,
    MSG_NO_RIGHT_DECIDE,
    MSG_NO_RIGHT_DELETE,
    MSG_NO_RIGHT_EDIT,
    MSG_NO_RIGHT_SIGN_OFF,
    MSG_NOT_DELETED,
    MSG_OFFSET_TYPE,
    MSG_QUOTE_MISMATCH,
    MSG_RESTORE_SPAN_TAKEN,
    MSG_SIGN_OFF_PENDING,
    MSG_START_NEGATIVE,
    MSG_START_NOT_BEFORE_END,
    MSG_UNKNOWN_STANCE,
    MSG_UNKNOWN_VERDICT,
    MSG_URL_INVALID,
    MSG_URL_SCHEME,
    MSG_URL_TOO_LONG,
    ErrorCode,
    StaleClaimError,
)
from annotations.services.evidence import (
    evidence_add,
    evidence_remove,
    evidence_update,
    normalise_url,
    source_link_for,
    validate_stance,
)
from annotations.services.history import record_history
from annotations.services.reanchoring import ClaimOutcome, article_reanchor_claims, claim_reanchor
from annotations.services.roles import (
    ANALYST,
    ANALYST_PERMISSIONS,
    REVIEWER,
    REVIEWER_PERMISSIONS,
    User,
    can_create_claims,
    can_decide,
    can_delete_claim,
    can_edit_claim,
    can_see_agreement,
    can_sign_off,
    claim_permissions,
    ensure_role_groups,
    is_analyst,
    is_reviewer,
    user_roles,
)
from annotations.services.sign_off import claim_revoke_sign_off, claim_sign_off
from annotations.services.tokens import TokenExists, token_digest, token_issue, token_owner

__all__ = [
    "ANALYST",
    "ANALYST_PERMISSIONS",
    "MSG_CLAIM_ORPHANED",
    "MSG_DUPLICATE_SPAN",
    "MSG_END_PAST_BODY",
    "MSG_NOT_DELETED",
    "MSG_NO_RIGHT_AGREEMENT",
    "MSG_NO_RIGHT_ASSESS",
    "MSG_NO_RIGHT_CREATE",
    "MSG_NO_RIGHT_DECIDE",
    "MSG_NO_RIGHT_DELETE",
    "MSG_NO_RIGHT_EDIT",
    "MSG_NO_RIGHT_SIGN_OFF",
    "MSG_OFFSET_TYPE",
    "MSG_QUOTE_MISMATCH",
    "MSG_RESTORE_SPAN_TAKEN",
    "MSG_SIGN_OFF_PENDING",
    "MSG_START_NEGATIVE",
    "MSG_START_NOT_BEFORE_END",
    "MSG_UNKNOWN_STANCE",
    "MSG_UNKNOWN_VERDICT",
    "MSG_URL_INVALID",
    "MSG_URL_SCHEME",
    "MSG_URL_TOO_LONG",
    "REVIEWER",
    "REVIEWER_PERMISSIONS",
    "ArticleImport",
    "ClaimOutcome",
    "ErrorCode",
    "SnapshotContent",
    "SnapshotUnavailable",
    "StaleAssessmentError",
    "StaleClaimError",
    "TokenExists",
    "User",
    "article_import",
    "article_is_blind",
    "article_reanchor_claims",
    "assessment_submit",
    "can_create_claims",
    "can_decide",
    "can_delete_claim",
    "can_edit_claim",
    "can_see_agreement",
    "can_see_judgments",
    "can_sign_off",
    "claim_create",
    "claim_decide",
    "claim_delete",
    "claim_permissions",
    "claim_reanchor",
    "claim_restore",
    "claim_revoke_sign_off",
    "claim_sign_off",
    "claim_update",
    "claims_purge_deleted",
    "claims_set_verdict",
    "claims_sign_off",
    "desk_state",
    "ensure_role_groups",
    "evidence_add",
    "evidence_remove",
    "evidence_update",
    "is_analyst",
    "is_reviewer",
    "normalise_url",
    "record_history",
    "snapshot_read",
    "snapshots_write_warc",
    "source_link_for",
    "token_digest",
    "token_issue",
    "token_owner",
    "user_roles",
    "validate_claim_span",
    "validate_stance",
    "validate_verdict",
]
