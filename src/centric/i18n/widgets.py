"""What a shop's customers read in the survey widget and the cookie banner, from the catalogues.

Rule: the server sends these words with the survey (`/api/surveys/{id}` -> "ui") and the banner
(`/api/consent/texts`), in the language chosen for the customer, so the JavaScript holds no
translations of its own and a new language is only a catalogue.
"""

from __future__ import annotations

from centric.i18n.catalog import N_, translator

WIDGET = {
    "send": N_("Send"),
    "thanks": N_("Thank you for your answer!"),
    "close": N_("Close"),
    "error": N_("Sorry, that did not work: "),
    "choose_first": N_("choose a score first"),
    "score_of": N_("%(score)s out of %(max)s"),
    "least": N_("Not at all likely"),
    "most": N_("Extremely likely"),
    "noscript": N_("This survey needs JavaScript."),
    "title": N_("%(shop)s · a quick question"),
}

BANNER = {
    "title": N_("Cookies and your privacy"),
    "text": N_("We use cookies to run the shop, and, if you agree, to remember your preferences, to measure "
               "how the shop is used and to show you relevant offers. You can change your mind at any time."),
    "accept": N_("Accept all"),
    "reject": N_("Reject all"),
    "choose": N_("Choose"),
    "save": N_("Save my choice"),
    "settings": N_("Cookie settings"),
    "saved": N_("Your choice has been saved."),
    "essential": N_("Essential"),
    "essential_help": N_("Needed for the basket, checkout and your account. Always on."),
    "personalization": N_("Personalisation"),
    "personalization_help": N_("Remembers your preferences and suggests products for you."),
    "analytics": N_("Analytics"),
    "analytics_help": N_("Counts visits and clicks so we can improve the shop."),
    "marketing": N_("Marketing"),
    "marketing_help": N_("Shows you our offers on other sites and in e-mails."),
}


def widget_words(lang: str | None) -> dict:
    _ = translator(lang).gettext
    return {key: _(text) for key, text in WIDGET.items()}


def banner_words(lang: str | None) -> dict:
    _ = translator(lang).gettext
    return {key: _(text) for key, text in BANNER.items()}
