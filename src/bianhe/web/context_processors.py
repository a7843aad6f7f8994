from django.conf import settings

from bianhe.roles import Action


def platform(request):
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return {
        "bianhe_demo": settings.BIANHE_DEMO,
        "can_administer": authenticated and user.can(Action.ADMINISTER),
        "can_change_registry": authenticated and user.can(Action.CHANGE),
        # The data-quality menu opens on the review worklist for reviewers, and on
        # completeness for those who review nothing (observers, reporters).
        "can_review": authenticated and user.can(Action.REVIEW),
    }
