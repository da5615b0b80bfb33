"""Offline speech: eSpeak NG (a subprocess) to WAV, then ``opusenc`` to an Ogg Opus file.

Both programs are Debian packages (``espeak-ng``, ``opus-tools``) that ``make browser``
installs. Their paths come from ``BRIEFINGS_ESPEAK`` and ``BRIEFINGS_OPUSENC``; when either
is missing, :func:`synthesize` raises :class:`Unavailable` and the page shows the transcript
alone. Nothing here touches the database.
"""

import resource
import shutil
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

#: eSpeak NG voice per language, and its rate in words per minute (espeak's default is 175).
VOICES = {"es": "es", "en": "en-gb"}
WORDS_PER_MINUTE = 175
#: Speech needs little: 16 kbit/s mono at complexity 5 (a third of the default's CPU).
OPUS_OPTIONS = ("--bitrate", "16", "--comp", "5", "--downmix-mono")
#: Seconds a synthesis may take before it is abandoned.
TIMEOUT = 60


class Unavailable(RuntimeError):
    """The synthesiser or the encoder is not installed (or failed); no audio this time."""


@dataclass(frozen=True)
class Audio:
    path: Path
    seconds: float  # playback length
    synth_seconds: float  # wall time of synthesis and encoding
    cpu_seconds: float = 0.0  # CPU time of the two programs


def _binary(setting, default):
    name = getattr(settings, setting, default) or default
    found = shutil.which(name)
    if not found:
        raise Unavailable(f"{name} is not installed ({setting})")
    return found


def available():
    """Whether both programs are there (the page says "audio unavailable" otherwise)."""
    try:
        _binary("BRIEFINGS_ESPEAK", "espeak-ng")
        _binary("BRIEFINGS_OPUSENC", "opusenc")
    except Unavailable:
        return False
    return True


def synthesize(text, language, path):
    """Speak ``text`` in ``language`` ("es"/"en") into the Ogg Opus file ``path``."""
    espeak = _binary("BRIEFINGS_ESPEAK", "espeak-ng")
    opusenc = _binary("BRIEFINGS_OPUSENC", "opusenc")
    lang = "es" if (language or "es").lower().startswith("es") else "en"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    started = time.perf_counter()
    cpu_before = _children_cpu()
    try:
        wav = subprocess.run(
            [espeak, "-v", VOICES[lang], "-s", str(WORDS_PER_MINUTE), "--stdout", "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT,
            check=True,
        ).stdout
        subprocess.run(
            [opusenc, "--quiet", *OPUS_OPTIONS, "-", str(partial)],
            input=wav,
            capture_output=True,
            timeout=TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        partial.unlink(missing_ok=True)
        detail = getattr(exc, "stderr", b"") or b""
        raise Unavailable(f"synthesis failed: {exc} {detail[:200]!r}") from exc
    partial.replace(path)
    elapsed = time.perf_counter() - started
    return Audio(
        path=path,
        seconds=ogg_opus_seconds(path.read_bytes()),
        synth_seconds=elapsed,
        cpu_seconds=_children_cpu() - cpu_before,
    )


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ogg_opus_seconds(data):
    """Playback length of an Ogg Opus stream: the last page's granule position less the
    pre-skip, at 48 kHz. Raises ``ValueError`` when ``data`` is not Ogg Opus."""
    if not data.startswith(b"OggS"):
        raise ValueError("not an Ogg stream")
    head = data.find(b"OpusHead")
    if head < 0:
        raise ValueError("not an Opus stream")
    pre_skip = struct.unpack_from("<H", data, head + 10)[0]
    last = data.rfind(b"OggS")
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return max(granule - pre_skip, 0) / 48000.0
