"""Forms of the rep- and manager-facing pages."""

import re
import uuid
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import selectors
from crm.models import Alert, Feedback, VisitNote
from crm.services import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH

from . import kinds

#: What a stored kind code looks like (``crm.kinds.AlertKind`` checks the same at registration).
RETIRED_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")

STATUS_CHOICES = [
    (selectors.TODO, _("To do")),
    (Alert.Status.ACTING, _("Acting")),
    (Alert.Status.SNOOZED, _("Snoozed")),
    (Alert.Status.DISMISSED, _("Dismissed")),
    (Alert.Status.RESOLVED, _("Resolved")),
    (Alert.Status.EXPIRED, _("Expired")),
    (selectors.ANY, _("Any status")),
]

#: Reasons offered for a false alarm; free text is accepted too.
FALSE_ALARM_REASONS = [
    _("Client buys this elsewhere on purpose"),
    _("Seasonal or planned pause"),
    _("Stock still high"),
    _("Clinic closed or moved"),
    _("Data error"),
]


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; invalid values are ignored."""

    q = forms.CharField(required=False, max_length=100, label=_("Client"))
    kind = forms.ChoiceField(required=False, label=_("Kind"))
    family = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    province = forms.ChoiceField(required=False, label=_("Province"))
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label=_("Status"))
    rep = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Rep"))

    def __init__(self, data, *, user):
        super().__init__(data)
        registered = kinds.choices()
        asked_kind = (data or {}).get("kind")
        if asked_kind and asked_kind not in dict(registered) and RETIRED_KIND.fullmatch(asked_kind):
            # A kind no engine registers any more: its alerts still have a chip in the queue.
            registered.append((asked_kind, asked_kind))
        self.fields["kind"].choices = [("", _("All kinds")), *registered]
        self.fields["family"].label = _("Family")
        self.fields["family"].choices = [("", _("All families"))] + [
            (f.pk, f.name) for f in selectors.families()
        ]
        provinces = selectors.provinces_visible_to(user)
        asked = (data or {}).get("province")
        # The cached list may predate a new province; a value no column can hold is ignored.
        storable = isinstance(asked, str) and len(asked) <= 64 and "\x00" not in asked
        if asked and asked not in provinces and storable:
            provinces = sorted([*provinces, asked])
        self.fields["province"].choices = [("", _("All provinces"))] + [(p, p) for p in provinces]
        team = list(selectors.team_members(user)) if not user.is_rep else []
        self.fields["rep"].choices = [("", _("Whole team"))] + [
            (m.pk, m.get_full_name() or m.username) for m in team
        ]
        self.show_rep = len(team) > 1

    def filters(self):
        """The valid part of the query as ``QueueFilters``."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return selectors.QueueFilters(
            kind=data.get("kind") or "",
            family=data.get("family"),
            province=data.get("province") or "",
            status=data.get("status") or selectors.TODO,
            q=(data.get("q") or "").strip(),
            rep=data.get("rep"),
        )


class AnswerForm(forms.Form):
    """A rep's answer to one alert. ``key`` makes a repeated submission harmless."""

    verdict = forms.ChoiceField(choices=Feedback.Verdict.choices)
    action = forms.ModelChoiceField(queryset=None, required=False, label=_("Action"))
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH, label=_("Reason"))
    comment = forms.CharField(
        required=False, max_length=COMMENT_MAX_LENGTH, widget=forms.Textarea, label=_("Comment")
    )
    snooze_until = forms.DateField(
        required=False, label=_("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, alert, actions=None, **kwargs):
        from recommender.models import Action

        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.alert = alert
        if actions is None:
            actions = Action.objects.filter(active=True)
        pks = [a.pk for a in actions if a.active and a.applies_to(alert.kind)]
        self.fields["action"].queryset = Action.objects.filter(pk__in=pks)

    @staticmethod
    def min_snooze_date():
        return timezone.localdate() + timedelta(days=1)

    @staticmethod
    def default_snooze_date():
        return timezone.localdate() + timedelta(days=14)

    def clean(self):
        data = super().clean()
        verdict = data.get("verdict")
        if verdict == Feedback.Verdict.ACT and not data.get("action"):
            self.add_error("action", _("Choose the action you will take."))
        if verdict == Feedback.Verdict.FALSE_ALARM and not data.get("reason"):
            self.add_error("reason", _("Say why this is a false alarm."))
        if verdict == Feedback.Verdict.SNOOZE:
            until = data.get("snooze_until")
            if until is None:
                self.add_error("snooze_until", _("Choose the date to snooze until."))
            elif until <= timezone.localdate():
                self.add_error("snooze_until", _("The snooze date must be in the future."))
        return data


class VisitNoteForm(forms.ModelForm):
    text = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=_("New note"),
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What happened at the visit or call?")}
        ),
    )

    class Meta:
        model = VisitNote
        fields = ["text"]
        labels = {"text": _("New note")}
        widgets = {
            "text": forms.Textarea(
                attrs={"rows": 3, "placeholder": _("What happened at the visit or call?")}
            )
        }
