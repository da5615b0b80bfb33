"""The scoring-run status widget for managers and admins."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from crm.selectors import check_as_of
from twins.selectors import latest_run


@login_required
def run_status(request):
    """The latest run's progress; the HTMX partial polls itself every 2 s while it runs."""
    user = request.user
    if not (user.is_manager or user.is_crm_admin):
        raise PermissionDenied("Only managers and admins follow scoring runs.")
    run = latest_run()
    context = {"run": run, "as_of_check": check_as_of(run.as_of) if run else None}
    if request.htmx:
        return render(request, "web/partials/run_status.html", context)
    return render(request, "web/run_status.html", context)
