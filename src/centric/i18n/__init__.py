"""Languages: message catalogues (en, es, ca, pt) and locale formatting, for everything a shop or a
customer reads (report, dashboard, survey widget, cookie banner, persona cards, CLI messages).

Rule: English is the source language (the msgid); es, ca and pt come from gettext catalogues under
`locale/` made with Babel, compiled in memory at first use (nothing is fetched at run time). Numbers,
money, percentages and dates are formatted with Babel's CLDR data for the language, never by hand.
This package imports nothing of centric, so every layer may use it.

    from centric.i18n import translator, negotiate, fmt_money
    _ = translator("ca").gettext
    _("Revenue by month")            # 'Ingressos per mes'
    fmt_money(1234.56, "EUR", "ca")  # '1.234,56 €'
"""

from __future__ import annotations

from centric.i18n.catalog import LANGUAGES, N_, gettext, ngettext, translator
from centric.i18n.formatting import (fmt_compact, fmt_date, fmt_money, fmt_month, fmt_number, fmt_percent, fmt_points,
                                     locale_of)
from centric.i18n.jinja import install
from centric.i18n.labels import label, transition_label
from centric.i18n.negotiate import negotiate, normalise

__all__ = [
    "LANGUAGES", "N_", "fmt_compact", "fmt_date", "fmt_money", "fmt_month", "fmt_number", "fmt_percent", "fmt_points",
    "gettext", "install", "label", "locale_of", "negotiate", "ngettext", "normalise", "transition_label",
    "translator",
]
