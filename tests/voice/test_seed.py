"""The demo seed adds surveys and notes, and its planted detractors reach the queue."""

import datetime as dt

import pytest

from crm.models import Alert, VisitNote
from seeds import services
from voice.models import SurveyResponse, TextAnalysis
from voice.services import run

END = dt.date(2026, 3, 29)


@pytest.mark.django_db
def test_seed_demo_plants_detractors_that_become_alerts():
    services.seed_demo(clients=60, weeks=60, seed=2, end=END, password="pw")
    assert not Alert.objects.filter(kind="detractor").exists()  # the seed only stores data
    run(END)  # what `make seed` does next (manage.py run_voice)
    assert SurveyResponse.objects.count() > 60 and VisitNote.objects.exists()
    assert (
        TextAnalysis.objects.count() == SurveyResponse.objects.count() + VisitNote.objects.count()
    )
    planted = SurveyResponse.objects.filter(response_id__startswith="S2-D")
    assert planted.count() == 6 and all(s.nps <= 5 for s in planted)
    alerted = set(Alert.objects.filter(kind="detractor").values_list("client_id", flat=True))
    assert set(planted.values_list("client_id", flat=True)) <= alerted
    assert TextAnalysis.objects.filter(language="en").exists()
    assert TextAnalysis.objects.filter(language="es").exists()
