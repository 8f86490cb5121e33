"""Who may do what, asked of the service layer (``annotations.services``), never decided here."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from annotations import services
from annotations.models import Claim, Evidence

MSG_NO_ROLE = (
    "Your account has no desk role (analyst or reviewer): it can read, but not change anything."
)

# Anyone on the desk assesses a claim they can see, and only reviewers decide: the services
# (assessment_submit, claim_decide) say so with their own messages.
SERVICE_CHECKED_ACTIONS = frozenset({"assessment", "decide"})


class DeskPermission(BasePermission):
    """Anyone signed in reads; writing needs a role; a claim is changed by whom the rules allow.

    Signed-in users without a role (``outsider``) can read everything but change nothing.
    """

    message = MSG_NO_ROLE

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return services.can_create_claims(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) in SERVICE_CHECKED_ACTIONS:
            return True
        if isinstance(obj, Claim) and request.method == "DELETE":
            if not services.can_delete_claim(request.user, obj):
                self.message = services.MSG_NO_RIGHT_DELETE
                return False
            return True
        if isinstance(obj, Evidence):
            allowed = services.can_change_evidence(request.user, obj)
        else:
            allowed = not isinstance(obj, Claim) or services.can_edit_claim(request.user, obj)
        if not allowed:
            self.message = services.MSG_NO_RIGHT_EDIT
            return False
        return True
