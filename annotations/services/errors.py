"""Every rule-breaking message the services raise, so tests and clients can rely on them."""

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
MSG_NO_RIGHT_DELETE = (
    "Analysts can delete only their own claims, and not once a reviewer has signed them off."
)


class StaleClaimError(Exception):
    """The claim changed since the caller read it; ``current`` is the newer state."""

    def __init__(self, current: Claim):
        super().__init__(
            f"Claim {current.pk} is at version {current.version}; reload it and apply the "
            "change again."
        )
        self.current = current
