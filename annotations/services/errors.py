"""Every rule-breaking message and code the services raise, so tests and clients can rely on them.

A message is for people and may be reworded; a code is for programs and never changes.
"""

from enum import StrEnum

from django.core.exceptions import ValidationError

from annotations.models import Claim

MSG_OFFSET_TYPE = "Offsets must be whole numbers."
MSG_START_NEGATIVE = "start must be 0 or more."
MSG_START_NOT_BEFORE_END = "start must be smaller than end."
MSG_END_PAST_BODY = "end ({end}) is past the end of the article text ({length} characters)."
MSG_QUOTE_MISMATCH = (
    "The quote does not match the article text at {start}-{end}, which reads «{actual}»."
)
MSG_DUPLICATE_SPAN = "This article already has a claim on exactly this span ({start}-{end})."
MSG_UNKNOWN_VERDICT = "Unknown verdict «{value}»: use one of {choices}."
MSG_UNKNOWN_STANCE = "Unknown stance «{value}»: use one of {choices}."
MSG_URL_SCHEME = "Only http and https links can be cited."
MSG_URL_INVALID = "This is not a valid web address."
MSG_URL_TOO_LONG = "Links are limited to 2000 characters."
MSG_SIGN_OFF_PENDING = "A pending claim cannot be signed off: give it a verdict first."
MSG_CLAIM_ORPHANED = (
    "This claim lost its place when the article text changed: place it again before signing off."
)
MSG_NO_RIGHT_CREATE = "Only analysts and reviewers can create claims."
MSG_NO_RIGHT_EDIT = "Analysts can only change their own claims; reviewers can change any."
MSG_NO_RIGHT_SIGN_OFF = "Only reviewers can sign off claims."
MSG_NO_RIGHT_PUBLISH = "Only reviewers can publish or unpublish fact-checks."
MSG_PUBLISH_NOT_SIGNED_OFF = (
    "Only a signed-off claim can be published: a reviewer signs it off first."
)
MSG_PUBLISH_GROUP_NOT_SIGNED_OFF = (
    "A claim group is published once every one of its claims is signed off; not yet: "
    "claim {claims}."
)
MSG_PUBLISH_GROUP_LOST = (
    "Claim {claims} of the group lost its place after a text change: place it again or "
    "unlink it before publishing the group."
)
MSG_PUBLISH_GROUP_EMPTY = "The group has no claims left to publish."
MSG_NO_RIGHT_ASSESS = "Only analysts and reviewers can assess claims."
MSG_NO_RIGHT_DECIDE = "Only reviewers can decide the desk verdict."
MSG_NO_RIGHT_AGREEMENT = (
    "Only reviewers can see the agreement between analysts: it shows how each one judged."
)
MSG_NO_RIGHT_ASSIGN = "Only reviewers can assign articles."
MSG_NO_RIGHT_REVIEW_QUEUE = "Only reviewers can see the review queue."
MSG_ASSIGNEE_NO_ROLE = (
    "{username} has no desk role (analyst or reviewer): articles go only to people who can "
    "assess them."
)
MSG_ASSIGNEE_UNKNOWN = "There is no desk member called «{username}»."
MSG_NO_RIGHT_BLIND = "Only reviewers can turn blind double-checking on or off."
MSG_NO_RIGHT_DELETE = (
    "Analysts can delete only their own claims, and not once a reviewer has signed them off."
)
MSG_RESTORE_SPAN_TAKEN = (
    "This claim cannot be restored: claim {other} now covers the same span ({start}-{end}). "
    "Delete or move that claim first."
)
MSG_NOT_DELETED = "This claim is not deleted: there is nothing to restore."
MSG_COMMENT_EMPTY = "Write something before posting a comment."
MSG_COMMENT_TOO_LONG = "Comments are limited to {limit} characters; this one has {length}."
MSG_MENTION_UNKNOWN = "Nobody on the desk is called {names}: check the spelling after the @."
MSG_NO_RIGHT_COMMENT = "Only analysts and reviewers can comment on claims."
MSG_COMMENTS_BLIND = (
    "This article is double-checked blind: submit your own verdict before joining the discussion."
)
MSG_NO_RIGHT_ADD_ARTICLE = "Only reviewers and editors can add articles."
MSG_ARTICLE_NO_SOURCE = "Send the article as one of url, text or file."
MSG_ARTICLE_SOURCES = "Send one of url, text or file, not {names} together."
MSG_ARTICLE_TITLE_EMPTY = "Give the article a title."
MSG_ARTICLE_LANGUAGE = "Unknown language «{value}»: use one of {choices}."
MSG_FILE_TYPE = "{name}: .{ext} files cannot be added; send a .txt, .md or .html file."
MSG_FILE_NO_TYPE = "{name}: the file name has no extension; send a .txt, .md or .html file."
MSG_FILE_BINARY = "a binary file ({reason}), not text."
MSG_FILE_ENCODING = (
    "not UTF-8, and it names no other encoding (byte 0x{byte:02x}); "
    "save it as UTF-8 and send it again."
)
MSG_URL_FAILED = {
    "url_blocked": "This link cannot be fetched: {error}",
    "url_timeout": "The page did not answer in time ({error}).",
    "url_unreachable": "The page could not be reached: {error}",
    "url_http_error": "The page answered {error}, not the article.",
    "url_not_html": "The link gives {content_type}, not a web page: add the file instead.",
    "url_too_large": "The page is larger than the limit of {limit} bytes.",
    "url_no_text": "No article text could be found on this page.",
}
MSG_FETCH_NOT_READY = "This link is {status}: there is no article to save from it yet."
MSG_NO_RIGHT_IMPORT = (
    "Only reviewers can import claims: a file sets verdicts and sign-offs for the whole desk."
)
MSG_IMPORT_FORMAT_UNKNOWN = "Unknown import format «{value}»: use one of {choices}."
MSG_IMPORT_FORMAT_UNDETECTED = (
    "Cannot tell the file's format from its name and first bytes: give the format ({choices})."
)
MSG_IMPORT_LABEL_MAP = (
    "Label map «{label}={value}»: map each label to a verdict, one of {choices} (LABEL=verdict)."
)
MSG_IMPORT_ARTICLE_UNKNOWN = (
    "No article on this desk matches the record (by slug, source URL, text hash or text): "
    "import the article first, or name it."
)
MSG_IMPORT_NOT_FOUND = "The quote «{quote}» is not in the article text, even near its context."
MSG_IMPORT_USER_UNKNOWN = "There is no desk member called «{username}»: create the account first."
MSG_IMPORT_LABEL_UNKNOWN = (
    "Unknown label «{label}»: map it to a verdict (--label-map {label}=verdict, or label_map)."
)
MSG_IMPORT_CLAIM_DELETED = (
    "Claim {claim}, imported before from the same record, is deleted: restore it first."
)
MSG_NO_RIGHT_LINK = (
    "Only whoever may edit a claim (its analyst, or a reviewer) can link or unlink it."
)
MSG_LINK_OTHERS_CLAIM = "Another analyst's claim covers this passage: a reviewer can link the two."
MSG_LINK_SELF = "This passage is the claim itself: pick its appearance in another article."
MSG_NOT_LINKED = "This claim is not linked to any other appearance: there is nothing to unlink."
MSG_VERDICTS_DIFFER = (
    "Claim {first} says «{first_verdict}» and claim {second} says «{second_verdict}»: "
    "say which verdict stands for both (verdict) before linking them."
)
MSG_VERDICTS_DIFFER_HIDDEN = (
    "The two claims' desk verdicts differ: a reviewer must say which verdict stands "
    "before they can be linked."
)
MSG_NO_RIGHT_CHOOSE_VERDICT = (
    "Only reviewers can choose which desk verdict stands when linking claims that differ."
)
MSG_CHOICE_NOT_FINAL = "The verdict that stands must be one of {choices}."


class ErrorCode(StrEnum):
    """The ``code`` of each ``ValidationError`` the services raise (the API passes it on)."""

    OFFSET_TYPE = "offset_type"
    START_NEGATIVE = "start_negative"
    START_NOT_BEFORE_END = "start_not_before_end"
    END_PAST_BODY = "end_past_body"
    QUOTE_MISMATCH = "quote_mismatch"
    DUPLICATE_SPAN = "duplicate_span"
    UNKNOWN_VERDICT = "unknown_verdict"
    UNKNOWN_STANCE = "unknown_stance"
    URL_SCHEME = "url_scheme"
    URL_INVALID = "url_invalid"
    URL_TOO_LONG = "url_too_long"
    SIGN_OFF_PENDING = "sign_off_pending"
    CLAIM_ORPHANED = "claim_orphaned"
    RESTORE_SPAN_TAKEN = "restore_span_taken"
    NOT_DELETED = "not_deleted"
    ASSIGNEE_NO_ROLE = "assignee_no_role"
    ASSIGNEE_UNKNOWN = "assignee_unknown"
    COMMENT_EMPTY = "comment_empty"
    COMMENT_TOO_LONG = "comment_too_long"
    MENTION_UNKNOWN = "mention_unknown"
    ARTICLE_NO_SOURCE = "article_no_source"
    ARTICLE_SOURCES = "article_sources"
    ARTICLE_TITLE_EMPTY = "article_title_empty"
    ARTICLE_LANGUAGE = "article_language"
    FILE_TYPE = "file_type"
    FILE_EMPTY = "file_empty"
    FILE_BINARY = "file_binary"
    FILE_ENCODING = "file_encoding"
    FILE_TOO_LARGE = "file_too_large"
    FILE_INVALID = "file_invalid"
    NO_TEXT = "no_text"
    URL_BLOCKED = "url_blocked"
    URL_TIMEOUT = "url_timeout"
    URL_UNREACHABLE = "url_unreachable"
    URL_HTTP_ERROR = "url_http_error"
    URL_NOT_HTML = "url_not_html"
    URL_TOO_LARGE = "url_too_large"
    URL_NO_TEXT = "url_no_text"
    FETCH_NOT_READY = "fetch_not_ready"
    IMPORT_FORMAT_UNKNOWN = "import_format_unknown"
    IMPORT_ARTICLE_UNKNOWN = "import_article_unknown"
    IMPORT_NOT_FOUND = "import_quote_not_found"
    IMPORT_USER_UNKNOWN = "import_user_unknown"
    IMPORT_LABEL_UNKNOWN = "import_label_unknown"
    IMPORT_CLAIM_DELETED = "import_claim_deleted"
    LINK_SELF = "link_self"
    NOT_LINKED = "not_linked"
    CHOICE_NOT_FINAL = "choice_not_final"
    PUBLISH_NOT_SIGNED_OFF = "publish_not_signed_off"
    PUBLISH_GROUP_NOT_SIGNED_OFF = "publish_group_not_signed_off"
    PUBLISH_GROUP_LOST = "publish_group_lost"
    PUBLISH_GROUP_EMPTY = "publish_group_empty"


def invalid(field: str, message: str, code: ErrorCode) -> ValidationError:
    """A broken rule on ``field``, its code kept (a dict passed to ValidationError drops it)."""
    return ValidationError({field: ValidationError(message, code=code)})


class StaleClaimError(Exception):
    """The claim changed since the caller read it; ``current`` is the newer state."""

    def __init__(self, current: Claim):
        super().__init__(
            f"Claim {current.pk} is at version {current.version}; reload it and apply the "
            "change again."
        )
        self.current = current


class VerdictConflictError(Exception):
    """Two claims to be linked have different desk verdicts and nobody said which stands.

    ``message`` names the verdicts only for a reader allowed to see both (the blind rule).
    """

    code = "verdicts_differ"

    def __init__(self, message: str, claims: tuple[int, int], verdicts: dict[int, str] | None):
        super().__init__(message)
        self.message = message
        self.claims = claims
        self.verdicts = verdicts
