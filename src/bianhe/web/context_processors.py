from django.conf import settings

from bianhe.roles import Action


def platform(request):
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return {
        "bianhe_demo": settings.BIANHE_DEMO,
        "can_administer": authenticated and user.can(Action.ADMINISTER),
        "can_change_registry": authenticated and user.can(Action.CHANGE),
    }
