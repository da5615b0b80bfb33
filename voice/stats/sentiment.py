"""Sentiment polarity -1..+1 of a comment or note, in its own language (lexicon + rules).

The score of a text is the sum of the valences of its lexicon items (phrases first, then
words, then stems), each flipped when a negator precedes it within the window of the same
clause and boosted after an intensifier; the sum ``s`` is squashed to ``s / sqrt(s² + 15)``,
VADER's normalisation. A text without any lexicon item scores 0 (neutral).
"""

import math
import re
from dataclasses import dataclass, field

from . import lexicon as L
from .language import detect
from .text import clean, has_letters, sentences, tokens

#: |polarity| below this is neutral.
NEUTRAL_BAND = 0.05
ALPHA = 15.0
LABELS = ("neg", "neu", "pos")
MAX_PHRASE = 4
#: Negation does not reach past a comma, colon or dash.
_CLAUSE = re.compile(r"[,;:—–]|\s-\s")


def _compile(words):
    exact = {w: v for w, v in words.items() if not w.endswith("*")}
    stems = sorted(
        ((w[:-1], v) for w, v in words.items() if w.endswith("*")), key=lambda s: -len(s[0])
    )
    return exact, stems


_COMPILED = {lang: _compile(words) for lang, words in L.LEXICONS.items()}


@dataclass
class Sentiment:
    polarity: float
    language: str  # "es", "en" or "" when the text gives no cue
    label: str  # "neg", "neu" or "pos"
    items: list = field(default_factory=list)  # (words, valence after rules)


def label_of(polarity: float, band: float = NEUTRAL_BAND) -> str:
    if polarity > band:
        return "pos"
    if polarity < -band:
        return "neg"
    return "neu"


def _match(toks, i, exact, stems):
    for n in range(min(MAX_PHRASE, len(toks) - i), 1, -1):
        phrase = " ".join(toks[i : i + n])
        if phrase in exact:
            return n, exact[phrase]
    word = toks[i]
    if word in exact:
        return 1, exact[word]
    for stem, value in stems:
        if word.startswith(stem):
            return 1, value
    return 0, 0.0


def _items(toks, language, *, negation=True):
    exact, stems = _COMPILED[language]
    negators = L.NEGATORS[language] | L.NEGATORS["es" if language == "en" else "en"]
    intensifiers = L.INTENSIFIERS[language]
    items, i, last_negator, last_breaker = [], 0, -99, -99
    while i < len(toks):
        n, value = _match(toks, i, exact, stems)
        if n == 0 or value == 0.0:
            word = toks[i]
            if word in negators:
                last_negator = i
            elif word in L.SCOPE_BREAKERS:
                last_breaker = i
            i += max(n, 1)
            continue
        if i > 0 and toks[i - 1] in intensifiers:
            value *= L.BOOST
        negated = negation and last_negator > last_breaker and i - last_negator <= L.NEGATION_WINDOW
        if negated:
            value *= L.NEGATION_SCALE
        items.append((" ".join(toks[i : i + n]), round(value, 3)))
        i += n
    return items


def _squash(total):
    return total / math.sqrt(total * total + ALPHA) if total else 0.0


def analyse(text, language=None, *, negation=True, band=NEUTRAL_BAND) -> Sentiment:
    """The polarity of ``text``. ``language`` ("es"/"en") is detected when not given; the
    other language's lexicon is tried when the text's own finds nothing (mixed notes).
    ``negation=False`` is the plain-lexicon ablation of the benchmark."""
    text = clean(text)
    lang = language if language in L.LEXICONS else detect(text)
    if not has_letters(text):
        return Sentiment(0.0, lang, "neu")
    items = []
    order = [lang, "en" if lang == "es" else "es"] if lang else ["es", "en"]
    best = []
    for candidate in order:
        items = []
        for sentence in sentences(text):
            for clause in _CLAUSE.split(sentence):
                items.extend(_items(tokens(clause), candidate, negation=negation))
        if items and lang:
            best = items
            break
        if len(items) > len(best):
            best = items
    total = sum(v for _, v in best)
    polarity = round(_squash(total), 4)
    return Sentiment(polarity, lang, label_of(polarity, band), best)


def polarity(text, language=None) -> float:
    return analyse(text, language).polarity


def worst_sentence(text, language=None, limit=240) -> tuple[str, float]:
    """The most negative sentence of ``text`` and its polarity (the first one when none is
    negative), cut to ``limit`` characters: what a narrative quotes."""
    parts = sentences(text)
    if not parts:
        return "", 0.0
    scored = [(analyse(p, language).polarity, k, p) for k, p in enumerate(parts[:200])]
    value, _, sentence = min(scored)
    if value >= 0:
        value, sentence = scored[0][0], scored[0][2]
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rstrip() + "…"
    return sentence, value
