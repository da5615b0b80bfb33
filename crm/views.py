"""Rep- and manager-facing pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Alert


@login_required
def queue(request):
    alerts = Alert.objects.filter(status__in=Alert.LIVE_STATUSES, client__rep=request.user)
    return render(
        request, "crm/queue.html", {"alerts": alerts.select_related("client", "family")[:50]}
    )
