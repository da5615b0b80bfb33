"""Normalising and tokenising short B2B texts (Spanish and English)."""

import re
import unicodedata

#: Longest text analysed; the rest of a longer one is ignored (its start is what a rep reads).
MAX_CHARS = 5000

_TOKEN = re.compile(r"[a-z0-9ñ]+(?:['’][a-z]+)?")
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+|\n+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def clean(value) -> str:
    """``value`` as text: ``None`` is '', other non-strings are ``str()``-ed, control
    characters become spaces and the result is cut to :data:`MAX_CHARS`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    value = value[: MAX_CHARS * 2]
    value = "".join(
        " " if unicodedata.category(ch)[0] == "C" and ch != "\n" else ch for ch in value
    )
    return value.strip()[:MAX_CHARS]


def fold(value: str) -> str:
    """Lower case without accents (``ñ`` kept): 'Está' -> 'esta', 'Año' -> 'año'."""
    value = value.lower().replace("ñ", "\0")
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return value.replace("\0", "ñ")


def tokens(value: str) -> list[str]:
    """Folded word tokens; English contractions split ("don't" -> "do", "not")."""
    out = []
    for token in _TOKEN.findall(fold(clean(value)).replace("’", "'")):
        if token.endswith("n't"):
            out.extend((token[:-3] or "not", "not"))
        elif "'" in token:
            out.append(token.split("'")[0])
        else:
            out.append(token)
    return out


def has_letters(value: str) -> bool:
    """Whether ``value`` holds at least one letter (a number or emoji alone has none)."""
    return bool(_LETTER.search(value or ""))


def sentences(value: str) -> list[str]:
    """The sentences of ``value`` (split after . ! ? ; and at line breaks), stripped."""
    parts = (p.strip() for p in _SENTENCE.split(clean(value)))
    return [p for p in parts if p]
