"""The hand-built sentiment lexicon of B2B supply talk, Spanish and English.

Valences run from -3 (very negative) to +3, as in VADER. Words are folded (lower case, no
accents). A word ending in ``*`` is a stem: it matches any word that starts with it
("retras*" matches "retraso", "retrasos", "retrasado"). Phrases (several words) are matched
before single words and count as one item, so "a tiempo" / "on time" is positive and
"sin stock" / "out of stock" negative. Negators flip the valence of an item within the next
:data:`NEGATION_WINDOW` words (scaled by :data:`NEGATION_SCALE`), which turns "no está mal" and
"not bad" mildly positive and "no está bien" negative.
"""

NEGATION_WINDOW = 4
NEGATION_SCALE = -0.74
#: Multiplier of the next item after an intensifier.
BOOST = 1.3


def _parse(block):
    out = {}
    for item in block.split(","):
        item = item.strip()
        if item:
            word, value = item.rsplit(":", 1)
            out[word.strip()] = float(value)
    return out


ES = _parse(
    """
    bien:1.5, bueno:1.8, buena:1.8, buenos:1.8, buenas:1.8, buen:1.8, mejor:1.8, mejora*:1.5,
    excelente*:3, perfect*:2.8, genial:2.8, fantastic*:3, maravill*:2.8, estupend*:2.8,
    encant*:2.6, content*:2.2, satisfech*:2.3, satisfaccion:2.3, feliz:2.3, gracias:1.5,
    agradecid*:2, amable*:2, amabilidad:2, atent*:1.6, profesional:1.6, profesionales:1.6,
    eficaz:1.8, eficaces:1.8, eficiente*:1.8, resolutiv*:1.8, rapid*:1.5, rapidez:1.5,
    rapidisim*:2, puntual*:1.8, fiable*:1.8, confia*:1.5, confianza:1.5, recomend*:2.2,
    recomiendo:2.2, util:1.5, utiles:1.5, comod*:1.5, competitiv*:1.5, justo:1.2,
    razonable:1.3, interesante*:1.2, gusta:1.8, gustan:1.8, gusto:1.5, cercan*:1.2,
    disponibles:1.2, disponible:1.2, enhorabuena:2.5, felicito:2.5, felicitamos:2.5,
    repetiremos:2, solucion*:1.2, resuelto:1.2, resolvieron:1.5, resuelven:1.5,
    completo:1, correcto:1.3, correcta:1.3, seguid:0.5, primera:0.8, estado:0,
    mal:-2, malo:-2, mala:-2, malos:-2, malas:-2, peor:-2.3, pesim*:-3, fatal:-3, horrible:-3,
    desastre:-3, terrible:-3, inaceptable:-3, decepcion*:-2.5, descontent*:-2.5,
    insatisfech*:-2.5, harto:-2.5, harta:-2.5, hartos:-2.2, lamentable*:-2.3, queja*:-2,
    reclam*:-1.8, problema*:-1.8, incidencia*:-1.2, fallo*:-2, falla*:-2, fallad*:-2,
    fallan:-2, fallos:-2, defect*:-2.5, defectuos*:-2.5, roto:-2, rota:-2, rotos:-2, rotas:-2,
    rompe*:-2, rotura:-2, dañad*:-2.2, caducad*:-2.2, retras*:-2, tarde:-1.5, tardia:-1.8,
    tardio:-1.8, tardan:-1.5, tardaron:-1.5, tardo:-1.5, lento*:-1.8, lenta*:-1.8,
    equivocad*:-2, perdid*:-1.8, perdio:-1.8, falta:-1.5, faltan:-1.5, faltaba*:-1.8,
    faltaron:-1.8, incomplet*:-2, caro:-1.8, cara:-1.8, caros:-1.8, caras:-1.8, carisim*:-2.5,
    abusiv*:-2.8, excesiv*:-2, injustificad*:-2, indebid*:-2, agotad*:-2, maleducad*:-2.8,
    grosero*:-2.8, borde:-2.2, ignorad*:-2.2, inutil*:-2.5, inservible*:-2.5,
    ineficaz:-2.2, empeor*:-2.2, cambiar de proveedor:-2, otro proveedor:-2, abandonar:-2,
    nadie:-1.2, esperando:-0.8, dudas:-0.5, molest*:-2, enfadad*:-2.5, frustr*:-2.5,
    sin stock:-2.2, sin existencias:-2.2, rotura de stock:-2.5, sin avisar:-1.8,
    sin explicacion:-1.8, sin respuesta:-1.8, a tiempo:1.5, en plazo:1.5, en su plazo:1.5,
    a la altura:1.5, lo que esperabamos:1.2, ninguna pega:0, no se puede:-1.5,
    una y otra vez:-1, otra vez:-0.6, de nuevo:-0.3, cumpl*:1.2, funciona:1, funcionan:1,
    ayuda:0.8, ayudan:0.8, calidad:0.5, descuento:0.6, descuentos:0.6
    """
)

EN = _parse(
    """
    good:1.9, great:3, excellent:3, perfect:2.8, fantastic:3, brilliant:2.8, outstanding:3,
    superb:3, amazing:2.8, delighted:2.8, happy:2.5, pleased:2.3, satisfied:2.3,
    satisfaction:2.3, thanks:1.5, thank:1.5, appreciated:2, appreciate:2, friendly:2,
    kind:1.6, helpful:2, attentive:1.6, professional:1.6, efficient:1.8, fast:1.5, quick:1.5,
    quickly:1.5, promptly:1.8, prompt:1.6, punctual:1.8, reliable:2, trust:1.5, recommend:2.2,
    recommended:2.2, useful:1.5, comfortable:1.5, competitive:1.5, fair:1.3, reasonable:1.3,
    attractive:1.2, like:1.5, love:2.5, loved:2.5, nicely:1.5, nice:1.8, better:1.8,
    best:2.5, improved:1.5, congratulations:2.5, solved:1.5, fixed:1.5, solve:1.3, okay:1,
    ok:1, fine:1, complete:1, works:1, work:0, available:1, well:1.2, top:1.5,
    bad:-2.5, worse:-2.3, worst:-3, poor:-2.2, terrible:-3, awful:-3, horrible:-3,
    dreadful:-3, disaster:-3, unacceptable:-3, disappoint*:-2.5, dissatisfied:-2.5,
    unhappy:-2.5, tired:-1.2, complain*:-2, complaint*:-2, problem*:-1.8, issue:-1.2,
    issues:-1.2, fail*:-2, defect*:-2.5, faulty:-2.5, broken:-2.2, break:-1.5, breaks:-1.8,
    tear:-1.5, damaged:-2.2, expired:-2.2, late:-1.8, delay*:-2, slow*:-1.8, wrong:-2,
    lost:-1.8, missing:-1.8, incomplete:-2, expensive:-1.8, overpriced:-2.5,
    outrageous:-2.8, excessive:-2, unjustified:-2, rude:-2.8, unprofessional:-2.5,
    unhelpful:-2.2, useless:-2.5, unusable:-2.5, unavailable:-1.8, downhill:-2.2,
    frustrat*:-2.5, angry:-2.5, annoy*:-2, nobody:-1.2, waiting:-0.8, chase:-0.8,
    switching supplier:-2, another supplier:-2, switch supplier:-2, out of stock:-2.2,
    sold out:-2, stock out:-2.5, without notice:-1.8, no explanation:-1.8, on time:1.5,
    let us down:-2, let down:-2, what we expected:1.2, take ages:-2, takes ages:-2,
    again:-0.3, cannot work:-1.5, deliver:0.5, quality:0.5, discount:0.6, ages:-0.5
    """
)

NEGATORS = {
    "es": frozenset("no ni nunca jamas tampoco sin ningun ninguna ninguno nada".split()),
    "en": frozenset("not no never nor without none nothing cannot hardly".split()),
}
INTENSIFIERS = {
    "es": frozenset(
        "muy mucho muchisimo super tan bastante realmente totalmente demasiado".split()
    ),
    "en": frozenset("very really so extremely too totally highly super far".split()),
}
#: Words that end the scope of a negation ("no, pero ...", "not only ... but").
SCOPE_BREAKERS = frozenset("pero sino aunque but although however".split())

LEXICONS = {"es": ES, "en": EN}
