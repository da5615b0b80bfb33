"""``manage.py bench_brief``: how long the spoken brief of five items takes to synthesise.

Composes a brief of five items (a user's real queue with ``--user``, else five planted items
of the twins' and deals' kinds) in Spanish and English, synthesises it ``--repeat`` times with
eSpeak NG and opusenc, and prints the transcript's words, the audio's length, the synthesis
time (median and worst) and the speech rate heard. The target is under 5 s per brief.
"""

import statistics
import tempfile
from pathlib import Path

from django.utils import timezone

from briefings import script, services, synth

TARGET_SECONDS = 5.0


def planted_items():
    """Five items shaped like the demo's: churn, technical, full churn, deal, cross-sell."""
    F = script.Fact
    return [
        (
            "Clínica Dental Sonrisa",
            "partial_churn",
            3214.0,
            "Anestesia",
            (
                F("observed_units", "Units bought in the window", "number", 18),
                F("expected_units", "Units expected in the window", "number", 60),
            ),
        ),
        (
            "Centro Odontológico Norte",
            "technical_deterioration",
            2380.0,
            "Implantes",
            (
                F("current_silence_days", "Days since last purchase", "int", 71),
                F("median_gap_days", "Median gap (days)", "number", 39),
            ),
        ),
        (
            "Dentalia Retiro",
            "full_churn",
            1840.0,
            "Agujas",
            (F("silence_weeks", "Weeks without buying", "int", 3),),
        ),
        (
            "Clínica Bahía",
            "deal_at_risk",
            12400.0,
            "Renovación de sillones",
            (
                F("p_loss", "Estimated chance of loss", "percent", 0.62),
                F("stage", "Stage", "text", "Propuesta"),
            ),
        ),
        (
            "Odontología Levante",
            "cross_sell",
            960.0,
            "Biomateriales",
            (F("typical_annual_euros", "Typical annual purchase", "euros", 4100),),
        ),
    ]


def transcripts(user=None):
    """``[(language, items, text)]`` for both languages."""
    from crm import kinds

    out = []
    for language in ("es", "en"):
        if user is not None:
            user.language = language
            text, ids, _lang = services.transcript_for(user, timezone.localdate())
            out.append((language, len(ids), text))
            continue
        items = [
            script.Item(client, str(kinds.label(code, language)), euros, subject, facts)
            for client, code, euros, subject, facts in planted_items()
        ]
        out.append((language, len(items), script.compose("Ana", items, 14, language)))
    return out


def run(user=None, repeat=3, out=print):
    if not synth.available():
        out("espeak-ng or opusenc is missing: install them with `make browser`.")
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for language, n_items, text in transcripts(user):
            times, cpu, audio = [], [], None
            for i in range(repeat):
                audio = synth.synthesize(text, language, Path(tmp) / f"{language}-{i}.opus")
                times.append(audio.synth_seconds)
                cpu.append(audio.cpu_seconds)
            words = len(text.split())
            rows.append(
                {
                    "language": language,
                    "items": n_items,
                    "words": words,
                    "audio_s": audio.seconds,
                    "median_s": statistics.median(times),
                    "worst_s": max(times),
                    "cpu_s": statistics.median(cpu),
                    "wpm": words / audio.seconds * 60 if audio.seconds else 0.0,
                    "kb": audio.path.stat().st_size / 1024,
                }
            )
    out(
        "| language | items | words | audio s | synthesis s (median) | worst | CPU s "
        "| words/min | KiB |"
    )
    out("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        out(
            f"| {r['language']} | {r['items']} | {r['words']} | {r['audio_s']:.1f} | "
            f"{r['median_s']:.2f} | {r['worst_s']:.2f} | {r['cpu_s']:.2f} | {r['wpm']:.0f} | "
            f"{r['kb']:.0f} |"
        )
    worst = max(r["worst_s"] for r in rows)
    verdict = "under" if worst < TARGET_SECONDS else "OVER"
    out(f"worst synthesis {worst:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
    return rows
