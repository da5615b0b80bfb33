"""Spanish provinces by the first two digits of their postcodes, to flag a client whose
postcode and province disagree (a warning, never a rejection). Declarative data."""

import unicodedata

#: Postcode prefix -> the names a province goes by (Spanish, co-official, older spellings).
PROVINCES = {
    "01": ("Álava", "Araba", "Araba/Álava"), "02": ("Albacete",),
    "03": ("Alicante", "Alacant"), "04": ("Almería",), "05": ("Ávila",), "06": ("Badajoz",),
    "07": ("Baleares", "Illes Balears", "Islas Baleares", "Balears"), "08": ("Barcelona",),
    "09": ("Burgos",), "10": ("Cáceres",), "11": ("Cádiz",), "12": ("Castellón", "Castelló"),
    "13": ("Ciudad Real",), "14": ("Córdoba",), "15": ("A Coruña", "La Coruña", "Coruña"),
    "16": ("Cuenca",), "17": ("Girona", "Gerona"), "18": ("Granada",), "19": ("Guadalajara",),
    "20": ("Gipuzkoa", "Guipúzcoa"), "21": ("Huelva",), "22": ("Huesca",), "23": ("Jaén",),
    "24": ("León",), "25": ("Lleida", "Lérida"), "26": ("La Rioja", "Rioja"), "27": ("Lugo",),
    "28": ("Madrid",), "29": ("Málaga",), "30": ("Murcia",), "31": ("Navarra", "Nafarroa"),
    "32": ("Ourense", "Orense"), "33": ("Asturias",), "34": ("Palencia",),
    "35": ("Las Palmas", "Palmas"), "36": ("Pontevedra",), "37": ("Salamanca",),
    "38": ("Santa Cruz de Tenerife", "Tenerife"), "39": ("Cantabria",), "40": ("Segovia",),
    "41": ("Sevilla",), "42": ("Soria",), "43": ("Tarragona",), "44": ("Teruel",),
    "45": ("Toledo",), "46": ("Valencia", "València"), "47": ("Valladolid",),
    "48": ("Bizkaia", "Vizcaya"), "49": ("Zamora",), "50": ("Zaragoza",), "51": ("Ceuta",),
    "52": ("Melilla",),
}  # fmt: skip


def _key(name):
    name = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in name if c.isalnum())


_PREFIX = {_key(name): prefix for prefix, names in PROVINCES.items() for name in names}


def contradiction(postcode, province):
    """A sentence when a 5-digit Spanish ``postcode`` lies outside the named ``province``;
    None when they agree or either is unknown."""
    prefix = _PREFIX.get(_key(province or ""))
    if prefix is None or len(postcode) != 5 or not postcode.isdigit():
        return None
    if postcode[:2] == prefix:
        return None
    actual = PROVINCES.get(postcode[:2], ("no Spanish province",))[0]
    return f"postcode {postcode} is in {actual}, not in {province}; both kept as given."
