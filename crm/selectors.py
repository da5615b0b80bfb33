"""Read-side queries, with the visibility rules every page and endpoint shares."""

from django.db.models import Q

from .models import Alert, Client, User


def clients_visible_to(user):
    """A rep sees their clients; a manager their team's; an admin everyone's."""
    qs = Client.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role == User.Role.ADMIN:
        return qs
    if user.role == User.Role.MANAGER:
        return qs.filter(Q(rep__manager=user) | Q(rep=user))
    return qs.filter(rep=user)


def alerts_visible_to(user):
    """Alerts on clients visible to ``user`` (any status)."""
    return Alert.objects.filter(client__in=clients_visible_to(user).values("pk"))
