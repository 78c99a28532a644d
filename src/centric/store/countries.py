"""Country names (English, Spanish, Catalan, Portuguese and common export spellings) to ISO 3166-1 alpha-2.

Names that do not denote one country ("European Community", "Unspecified") map to None.
"""

from __future__ import annotations

COUNTRY_CODES: dict[str, str | None] = {
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "regne unit": "GB", "reino unido": "GB",
    "ireland": "IE", "eire": "IE", "irlanda": "IE",
    "spain": "ES", "españa": "ES", "espana": "ES", "espanya": "ES", "espanha": "ES",
    "portugal": "PT", "france": "FR", "francia": "FR", "frança": "FR", "franca": "FR",
    "germany": "DE", "alemania": "DE", "alemanya": "DE", "alemanha": "DE", "deutschland": "DE",
    "italy": "IT", "italia": "IT", "itàlia": "IT", "itália": "IT",
    "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "países bajos": "NL",
    "belgium": "BE", "bélgica": "BE", "bèlgica": "BE", "switzerland": "CH", "suiza": "CH", "suïssa": "CH",
    "austria": "AT", "àustria": "AT", "áustria": "AT", "denmark": "DK", "norway": "NO", "sweden": "SE",
    "finland": "FI", "iceland": "IS", "poland": "PL", "czech republic": "CZ", "czechia": "CZ",
    "greece": "GR", "cyprus": "CY", "malta": "MT", "lithuania": "LT", "latvia": "LV", "estonia": "EE",
    "andorra": "AD", "monaco": "MC", "luxembourg": "LU", "romania": "RO", "bulgaria": "BG",
    "hungary": "HU", "croatia": "HR", "slovenia": "SI", "slovakia": "SK",
    "united states": "US", "united states of america": "US", "usa": "US", "estados unidos": "US",
    "canada": "CA", "mexico": "MX", "méxico": "MX", "brazil": "BR", "brasil": "BR",
    "argentina": "AR", "chile": "CL", "colombia": "CO", "peru": "PE", "perú": "PE", "uruguay": "UY",
    "australia": "AU", "new zealand": "NZ", "japan": "JP", "china": "CN", "hong kong": "HK",
    "singapore": "SG", "israel": "IL", "lebanon": "LB", "bahrain": "BH", "saudi arabia": "SA",
    "united arab emirates": "AE", "rsa": "ZA", "south africa": "ZA", "morocco": "MA", "marruecos": "MA",
    "turkey": "TR", "india": "IN", "korea": "KR", "south korea": "KR", "angola": "AO",
    "mozambique": "MZ", "moçambique": "MZ", "cape verde": "CV", "cabo verde": "CV",
    "channel islands": None, "european community": None, "unspecified": None,
}
