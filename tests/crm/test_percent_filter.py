"""Percentages on the pages round as the narratives do (45.9 % shows as 46 %, not 45 %)."""

from django.utils import translation

from web.templatetags.web_tags import percent


def test_percent_rounds_to_the_nearest_shown_digit():
    with translation.override("en"):
        assert percent(0.459) == "46\xa0%"
        assert percent(0.454) == "45\xa0%"
        assert percent(0.1234, 1) == "12.3\xa0%"
        assert percent(0.1236, 1) == "12.4\xa0%"
        assert percent(None) == ""
