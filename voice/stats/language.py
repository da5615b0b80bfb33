"""Spanish or English? Counted from function words and Spanish-only characters.

Short notes ("Pedido normal.") carry little evidence: a text with no cue is ``""``
(unknown), and callers fall back to a default.
"""

from .lexicon import EN, ES
from .text import clean, tokens

LANGUAGES = ("es", "en")

_ES = frozenset(
    """el la los las un una unos unas de del al y o pero que en con por para sin no ni nunca
    es son esta estan estamos fue ha han hemos hay muy mas menos nos os les lo le se su sus mi
    mis nuestro nuestra vuestro vuestra este esta estos estas ese esa todo toda todos siempre
    tambien otra otro vez cuando como donde porque ya hoy ayer semana mes pedido entrega gracias
    bien mal bueno buena malo mala nada ningun ninguna""".split()
)
_EN = frozenset(
    """the an of and or but that in on with by for without not no nor never is are was were
    be been has have had do does did we you they it its our your their this these those all
    always also again when how where because already today yesterday week month order delivery
    thanks thank very more less good bad nothing any to from at will would can could""".split()
)
# The lexicons' single words are cues too; words both lists share are not evidence.
_ES |= {w for w in ES if " " not in w and not w.endswith("*")}
_EN |= {w for w in EN if " " not in w and not w.endswith("*")}
_ES, _EN = _ES - _EN, _EN - _ES


def scores(text: str) -> dict:
    """Cue counts per language."""
    toks = tokens(text)
    es = sum(t in _ES for t in toks)
    en = sum(t in _EN for t in toks)
    raw = clean(text)
    es += 2 * sum(ch in "ñ¿¡" for ch in raw.lower())
    es += sum(ch in "áéíóú" for ch in raw.lower())
    return {"es": es, "en": en}


#: Word endings typical of each language: the tie-breaker of texts without function words.
_ES_ENDINGS = ("os", "as", "ado", "ada", "ido", "ida", "cion", "ente", "ar", "ir", "o", "e")
_EN_ENDINGS = ("ing", "ed", "ly", "tion", "ment", "y", "th", "ck", "w", "k", "ew", "nt", "ct")


def _endings(text):
    es = en = 0
    for t in tokens(text):
        if len(t) < 3 or t.isdigit():
            continue
        es += t.endswith(_ES_ENDINGS)
        en += t.endswith(_EN_ENDINGS)
    return es, en


def detect(text: str, default: str = "") -> str:
    """``"es"``, ``"en"``, or ``default`` when the text gives no cue or a tie."""
    text = clean(text)
    s = scores(text)
    if s["es"] == s["en"]:
        s["es"], s["en"] = _endings(text)
    if s["es"] > s["en"]:
        return "es"
    if s["en"] > s["es"]:
        return "en"
    return default
