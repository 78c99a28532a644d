"""How real customers write, for the demo's feedback: the phrases texts.py composes the hard texts from.

Real feedback is not a list of clean opinions, and each table here plants one way it is not:

- praise written by negating a complaint ("not bad at all", "no complaints about the delivery") and
  complaint by negating praise ("no me ha gustado nada el envío"): ``NOUNS`` and ``NEGATED``;
- a mixed review that ends on a verdict, which decides it ("good product, but the delivery was a
  disaster. Won't order again."): ``VERDICTS``;
- lukewarm texts that borrow both sides' words ("not bad, not great"): ``LUKEWARM``;
- sarcasm, which praises what it complains about ("Great, another week waiting for the parcel 🙄"):
  ``SARCASTIC_OPENERS``, ``SARCASTIC``, ``SARCASTIC_TAILS``;
- answers of one word or one emoji: ``SHORT`` and ``EMOJI`` (an emoji-only answer has no language);
- emoji beside words: ``MOOD_EMOJI``;
- Catalan writers who slip into Spanish, and the other way round: ``SPANISH_IN_CATALAN``,
  ``CATALAN_IN_SPANISH``.

Every phrase means what its key says (a sarcastic text is a complaint, a lukewarm one neutral, a
negated complaint praise), so the demo's planted truth stays what the text says. Theme phrases keep
a word of the theme's taxonomy terms, as customers name what they write about.
"""

from __future__ import annotations

# theme -> language -> (noun phrase with its article, grammatical gender m/f); {p} is a product name.
NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "delivery": {"en": ("the delivery", "-"), "es": ("el envío", "m"), "ca": ("l'enviament", "m"), "pt": ("a entrega", "f")},
    "price": {"en": ("the price", "-"), "es": ("el precio", "m"), "ca": ("el preu", "m"), "pt": ("o preço", "m")},
    "product_quality": {"en": ("the quality of the {p}", "-"), "es": ("la calidad del {p}", "f"),
                        "ca": ("la qualitat del {p}", "f"), "pt": ("a qualidade do {p}", "f")},
    "customer_service": {"en": ("customer service", "-"), "es": ("la atención al cliente", "f"),
                         "ca": ("l'atenció al client", "f"), "pt": ("o apoio ao cliente", "m")},
    "website": {"en": ("the website", "-"), "es": ("la web", "f"), "ca": ("el web", "m"), "pt": ("o site", "m")},
    "returns": {"en": ("the return", "-"), "es": ("la devolución", "f"), "ca": ("la devolució", "f"),
                "pt": ("a devolução", "f")},
    "packaging": {"en": ("the packaging", "-"), "es": ("el embalaje", "m"), "ca": ("l'embalatge", "m"),
                  "pt": ("a embalagem", "f")},
    "stock": {"en": ("the availability", "-"), "es": ("la disponibilidad", "f"), "ca": ("la disponibilitat", "f"),
              "pt": ("a disponibilidade", "f")},
}

# language -> (praise that negates a complaint, complaint that negates praise). {the}: the noun
# phrase; {a|b}: the masculine or feminine form, agreeing with the noun.
NEGATED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("{the} was not bad at all", "no complaints about {the}", "{the} could not have been better",
            "never had a single problem with {the}"),
           ("I did not like {the} at all", "{the} was not good at all", "{the} was not what I expected",
            "not happy with {the}")),
    "es": (("{the} no estuvo nada mal", "ninguna queja con {the}", "{the} no podía haber ido mejor",
            "nunca he tenido ni un problema con {the}"),
           ("no me ha gustado nada {the}", "{the} no ha sido nada {bueno|buena}", "{the} no fue lo que esperaba",
            "no estoy nada contento con {the}")),
    "ca": (("{the} no ha estat gens malament", "cap queixa amb {the}", "{the} no podia haver anat millor",
            "mai he tingut cap problema amb {the}"),
           ("no m'ha agradat gens {the}", "{the} no ha estat gens {bo|bona}", "{the} no era el que esperava",
            "no estic gens content amb {the}")),
    "pt": (("{the} não foi nada {mau|má}", "não há nada a dizer de mal sobre {the}", "{the} não podia ter corrido melhor",
            "nunca tive qualquer problema com {the}"),
           ("{the} não me agradou nada", "{the} não foi nada {bom|boa}", "{the} não foi o que eu esperava",
            "não fiquei nada satisfeito com {the}")),
}

# language -> (verdicts that tip a mixed text to positive, to negative).
VERDICTS = {
    "en": (("Overall I'm happy.", "All in all, worth it.", "Still, I'd buy again.", "In the end, happy with it."),
           ("Overall, not happy.", "All in all, not worth it.", "Won't order again.", "In the end, a bad experience.")),
    "es": (("En general, contenta.", "Al final, merece la pena.", "Aun así, repetiría.", "En resumen, satisfecho."),
           ("En general, nada contento.", "Al final, no merece la pena.", "No vuelvo a pedir.",
            "En resumen, una mala experiencia.")),
    "ca": (("En general, contenta.", "Al final, val la pena.", "Tot i així, hi tornaria.", "En resum, satisfet."),
           ("En general, gens content.", "Al final, no val la pena.", "No hi tornaré a demanar.",
            "En resum, una mala experiència.")),
    "pt": (("No geral, satisfeita.", "No fim, vale a pena.", "Mesmo assim, voltaria a comprar.", "Em resumo, contente."),
           ("No geral, nada satisfeito.", "No fim, não vale a pena.", "Não volto a encomendar.",
            "Em resumo, uma má experiência.")),
}

# language -> lukewarm sentences: neither praise nor complaint, in the words of both.
LUKEWARM = {
    "en": ("Not bad, not great.", "It's ok I guess, nothing to write home about.", "Could be better, could be worse.",
           "Does the job, no more no less.", "Meh, it's fine.", "Good enough, I suppose."),
    "es": ("Ni bien ni mal.", "Está bien, supongo, nada del otro mundo.", "Podría ser mejor, podría ser peor.",
           "Cumple, sin más.", "Bueno, normalito.", "Aceptable, supongo."),
    "ca": ("Ni bé ni malament.", "Està bé, suposo, res de l'altre món.", "Podria ser millor, podria ser pitjor.",
           "Compleix, sense més.", "Bé, normalet.", "Acceptable, suposo."),
    "pt": ("Nem bom nem mau.", "Está ok, acho eu, nada de especial.", "Podia ser melhor, podia ser pior.",
           "Cumpre, sem mais.", "Enfim, normal.", "Aceitável, acho."),
}

# Sarcasm: praise words around a complaint.
SARCASTIC_OPENERS = {
    "en": ("Great,", "Brilliant.", "Oh wonderful,", "Thanks a lot,", "Well done,", "Just perfect:"),
    "es": ("Genial,", "Estupendo.", "Muy bien, eh,", "Mil gracias,", "Bravo,", "Perfecto todo:"),
    "ca": ("Genial,", "Fantàstic.", "Molt bé, eh,", "Moltes gràcies,", "Bravo,", "Perfecte tot:"),
    "pt": ("Ótimo,", "Fantástico.", "Muito bem,", "Muito obrigado,", "Parabéns,", "Tudo perfeito:"),
}
SARCASTIC_TAILS = {
    "en": ("🙄", "🙃", "👏👏", "😒", "as always.", "what a surprise."),
    "es": ("🙄", "🙃", "👏👏", "😒", "como siempre.", "qué sorpresa."),
    "ca": ("🙄", "🙃", "👏👏", "😒", "com sempre.", "quina sorpresa."),
    "pt": ("🙄", "🙃", "👏👏", "😒", "como sempre.", "que surpresa."),
}
# theme -> language -> complaints told flatly, the way sarcasm tells them.
SARCASTIC: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {"en": ("another week waiting for the parcel", "the tracking says delivered and there is no parcel"),
                 "es": ("otra semana esperando el paquete", "el seguimiento dice entregado y aquí no hay paquete"),
                 "ca": ("una altra setmana esperant el paquet", "el seguiment diu lliurat i aquí no hi ha cap paquet"),
                 "pt": ("mais uma semana à espera da entrega", "o rastreio diz entregue e aqui não há nada")},
    "price": {"en": ("the price went up again the day after I ordered", "another discount code that does not apply"),
              "es": ("el precio ha vuelto a subir justo después de comprar", "otro descuento que no se aplica"),
              "ca": ("el preu ha tornat a pujar just després de comprar", "un altre descompte que no s'aplica"),
              "pt": ("o preço voltou a subir logo depois de eu comprar", "mais um desconto que não se aplica")},
    "product_quality": {"en": ("such quality, the {p} lasted a whole week", "the {p} broke on day one"),
                        "es": ("qué calidad, el {p} ha durado una semana entera", "el {p} se rompió el primer día"),
                        "ca": ("quina qualitat, el {p} ha durat una setmana sencera", "el {p} es va trencar el primer dia"),
                        "pt": ("que qualidade, o {p} durou uma semana inteira", "o {p} partiu-se logo no primeiro dia")},
    "customer_service": {
        "en": ("three emails and still no answer from customer service", "forty minutes on hold to hear they would call back"),
        "es": ("tres correos y atención al cliente sigue sin contestar",
               "cuarenta minutos al teléfono para que me digan que ya me llamarán"),
        "ca": ("tres correus i l'atenció al client encara sense contestar",
               "quaranta minuts al telèfon perquè em diguin que ja em trucaran"),
        "pt": ("três emails e o apoio ao cliente continua sem responder",
               "quarenta minutos ao telefone para me dizerem que depois ligam")},
    "website": {"en": ("the checkout crashed again", "ten minutes to pay on the website, a record"),
                "es": ("la web se ha vuelto a colgar al pagar", "diez minutos para pagar en la web, todo un récord"),
                "ca": ("el web s'ha tornat a penjar en pagar", "deu minuts per pagar al web, tot un rècord"),
                "pt": ("o site voltou a ir abaixo no pagamento", "dez minutos para pagar no site, um recorde")},
    "returns": {"en": ("a month later and still no refund", "returning the {p} only took three weeks"),
                "es": ("un mes después y del reembolso ni rastro", "devolver el {p} solo me ha llevado tres semanas"),
                "ca": ("un mes després i del reemborsament ni rastre", "tornar el {p} només m'ha costat tres setmanes"),
                "pt": ("um mês depois e do reembolso nem sinal", "devolver o {p} só demorou três semanas")},
    "packaging": {"en": ("the box arrived flat as a pancake", "a tiny {p} in a huge box full of plastic"),
                  "es": ("la caja llegó más plana que una crepe", "un {p} diminuto en una caja enorme llena de plástico"),
                  "ca": ("la caixa va arribar més plana que una crep", "un {p} diminut en una caixa enorme plena de plàstic"),
                  "pt": ("a caixa chegou mais espalmada que uma panqueca",
                         "um {p} minúsculo numa caixa enorme cheia de plástico")},
    "stock": {"en": ("the {p} is out of stock again", "sold out the very day I wanted it, and not available since"),
              "es": ("el {p} otra vez agotado", "agotado justo el día que lo quería"),
              "ca": ("el {p} una altra vegada esgotat", "esgotat just el dia que el volia"),
              "pt": ("o {p} outra vez esgotado", "esgotado precisamente no dia em que o queria")},
}

# Answers of a word or two: language -> sentiment -> texts.
SHORT = {
    "en": {"positive": ("Perfect!", "Love it", "10/10", "Brilliant", "Spot on"),
           "negative": ("Awful.", "Rubbish", "Never again!!", "Terrible"),
           "neutral": ("ok", "It's fine.", "Average.", "Meh.")},
    "es": {"positive": ("¡Genial!", "Todo perfecto", "De 10", "Encantada"),
           "negative": ("Fatal.", "Un desastre", "Nunca más", "Qué timo"),
           "neutral": ("Normalito.", "Ni fu ni fa", "Regular.", "Bien, sin más")},
    "ca": {"positive": ("Genial!", "Tot perfecte", "De 10", "Encantada"),
           "negative": ("Fatal.", "Un desastre", "Mai més", "Quina estafa"),
           "neutral": ("Normalet.", "Ni fu ni fa", "Regular.", "Bé, sense més")},
    "pt": {"positive": ("Top!", "Tudo perfeito", "Adorei", "5 estrelas"),
           "negative": ("Péssimo.", "Uma vergonha", "Nunca mais", "Horrível"),
           "neutral": ("Razoável.", "Mais ou menos.", "Normal.", "Nem bom nem mau")},
}
# Answers that are only emoji (they have no language).
EMOJI = {"positive": ("👍", "😍", "❤️", "👌", "🙌", "😊😊"), "negative": ("👎", "😡", "🤬", "😤", "👎👎"),
         "neutral": ("😐", "🤷", "😶")}
# An emoji at the end of a text that says the same.
MOOD_EMOJI = {"positive": ("😊", "👍", "🙂", "❤️"), "negative": ("😡", "😤", "👎", "😞"), "neutral": ("🤷", "😐")}

# Spanish that Catalan writers slip in (discourse markers; whole clauses come from texts.CLAUSES["...]["es"]).
SPANISH_IN_CATALAN = {"lead": ("Bueno, ", "Pues ", "Vale, ", "O sea, "), "tail": (", la verdad", ", pero bueno", ", vale")}
# Catalan that Spanish writers from Catalonia slip in.
CATALAN_IN_SPANISH = {"lead": ("Home, ", "Doncs ", "Bueno doncs, "), "tail": (", eh que sí", ", home")}

# Intensifiers a hurried writer stretches (muy -> muuuy): language -> words.
STRETCHABLE = {"en": ("very", "so", "really", "never"), "es": ("muy", "nada", "nunca", "genial"),
               "ca": ("molt", "gens", "mai", "genial"), "pt": ("muito", "nada", "nunca", "ótimo")}
