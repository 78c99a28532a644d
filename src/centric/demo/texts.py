"""Feedback texts for the demo shop, in English, Spanish, Catalan and Portuguese.

Each text is composed from clauses about planted themes, each positive, negative or neutral, an
optional opener and closer (some borrowing the other side's words: "not bad at all", "expected
better"), product names and small variations (typos of hurried writers, lower-case, exclamation
marks), so that texts read like customers and not like one template, and are not perfectly
separable: a neutral "it was ok" shares its words with praise and complaint, and a mixed review is
neutral overall.
"""

from __future__ import annotations

import numpy as np

THEMES = ("delivery", "price", "product_quality", "customer_service", "website", "returns", "packaging", "stock")

# theme -> language -> (positive clauses, negative clauses); {p} is a product name.
CLAUSES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "delivery": {
        "en": (("delivery was super fast, it arrived the next day", "the courier was on time and very friendly",
                "shipping took only two days"),
               ("the parcel arrived a week late", "delivery took forever and tracking never updated",
                "the courier left my package at the wrong address")),
        "es": (("el envío llegó rapidísimo, al día siguiente", "el repartidor fue puntual y muy amable",
                "la entrega fue en solo dos días"),
               ("el paquete llegó con una semana de retraso", "el envío tardó muchísimo y el seguimiento no se actualizaba",
                "el mensajero dejó el paquete en otra dirección")),
        "ca": (("l'enviament va arribar molt ràpid, l'endemà mateix", "el repartidor va ser puntual i molt amable",
                "el lliurament va trigar només dos dies"),
               ("el paquet va arribar amb una setmana de retard", "l'enviament va trigar moltíssim i el seguiment no s'actualitzava",
                "el missatger va deixar el paquet a una altra adreça")),
        "pt": (("a entrega foi super rápida, chegou no dia seguinte", "o estafeta foi pontual e muito simpático",
                "o envio demorou apenas dois dias"),
               ("a encomenda chegou com uma semana de atraso", "a entrega demorou imenso e o tracking nunca atualizou",
                "o estafeta deixou a encomenda na morada errada")),
    },
    "price": {
        "en": (("great value for money", "the price was lower than anywhere else", "the discount made it a bargain"),
               ("way too expensive for what it is", "the price went up right after I ordered",
                "shipping costs made it overpriced")),
        "es": (("muy buena relación calidad-precio", "el precio era más bajo que en otras tiendas",
                "con el descuento salió tirado de precio"),
               ("demasiado caro para lo que es", "subieron el precio justo después de comprar",
                "los gastos de envío lo hacen carísimo")),
        "ca": (("molt bona relació qualitat-preu", "el preu era més baix que a altres botigues",
                "amb el descompte va sortir molt barat"),
               ("massa car per al que és", "van apujar el preu just després de comprar",
                "les despeses d'enviament el fan caríssim")),
        "pt": (("ótima relação qualidade-preço", "o preço era mais baixo do que noutras lojas",
                "com o desconto ficou mesmo barato"),
               ("demasiado caro para o que é", "subiram o preço logo depois de eu comprar",
                "os portes tornam tudo caríssimo")),
    },
    "product_quality": {
        "en": (("the {p} is really well made", "excellent quality, the {p} feels solid", "the {p} works perfectly"),
               ("the {p} broke after two weeks", "poor quality, the {p} looks cheap", "the {p} stopped working after a few days")),
        "es": (("el {p} está muy bien hecho", "calidad excelente, el {p} se nota resistente", "el {p} funciona perfectamente"),
               ("el {p} se rompió a las dos semanas", "mala calidad, el {p} parece barato", "el {p} dejó de funcionar a los pocos días")),
        "ca": (("el {p} està molt ben fet", "qualitat excel·lent, el {p} es nota resistent", "el {p} funciona perfectament"),
               ("el {p} es va trencar al cap de dues setmanes", "mala qualitat, el {p} sembla barat",
                "el {p} va deixar de funcionar al cap de pocs dies")),
        "pt": (("o {p} é muito bem feito", "qualidade excelente, o {p} parece resistente", "o {p} funciona na perfeição"),
               ("o {p} partiu-se ao fim de duas semanas", "má qualidade, o {p} parece barato",
                "o {p} deixou de funcionar ao fim de poucos dias")),
    },
    "customer_service": {
        "en": (("customer service solved my problem in minutes", "the support team was kind and helpful",
                "they answered my email the same day"),
               ("customer service never answered my emails", "the support agent was rude and unhelpful",
                "I spent an hour on hold with customer support")),
        "es": (("atención al cliente me lo solucionó en minutos", "el equipo de soporte fue amable y muy útil",
                "me contestaron el correo el mismo día"),
               ("atención al cliente nunca respondió mis correos", "la persona de soporte fue borde y no ayudó nada",
                "estuve una hora esperando al teléfono con atención al cliente")),
        "ca": (("l'atenció al client m'ho va solucionar en minuts", "l'equip de suport va ser amable i molt útil",
                "em van contestar el correu el mateix dia"),
               ("l'atenció al client no va respondre mai els meus correus", "la persona de suport va ser antipàtica i no va ajudar gens",
                "vaig estar una hora esperant al telèfon amb atenció al client")),
        "pt": (("o apoio ao cliente resolveu o meu problema em minutos", "a equipa de suporte foi simpática e prestável",
                "responderam ao meu email no mesmo dia"),
               ("o apoio ao cliente nunca respondeu aos meus emails", "o funcionário do suporte foi mal-educado e não ajudou",
                "estive uma hora em espera com o apoio ao cliente")),
    },
    "website": {
        "en": (("the website is easy to use and checkout was quick", "the app is smooth and ordering took a minute",
                "paying on the website was simple"),
               ("the checkout kept failing on the website", "the app crashed twice while I was paying",
                "the website is slow and confusing")),
        "es": (("la web es muy fácil de usar y el pago fue rápido", "la app va fluida y pedir me llevó un minuto",
                "pagar en la web fue sencillo"),
               ("el pago en la web fallaba una y otra vez", "la app se cerró dos veces mientras pagaba",
                "la web es lenta y confusa")),
        "ca": (("el web és molt fàcil d'utilitzar i el pagament va ser ràpid", "l'app va fluida i fer la comanda em va costar un minut",
                "pagar al web va ser senzill"),
               ("el pagament al web fallava una vegada i una altra", "l'app es va tancar dues vegades mentre pagava",
                "el web és lent i confús")),
        "pt": (("o site é fácil de usar e o pagamento foi rápido", "a app é fluida e encomendar levou um minuto",
                "pagar no site foi simples"),
               ("o pagamento no site falhava sempre", "a app fechou duas vezes enquanto eu pagava",
                "o site é lento e confuso")),
    },
    "returns": {
        "en": (("the return was easy and the refund came in three days", "returning the {p} was free and painless",
                "they refunded me without any questions"),
               ("I am still waiting for my refund after a month", "returning the {p} was a nightmare",
                "they refused to accept my return")),
        "es": (("la devolución fue fácil y el reembolso llegó en tres días", "devolver el {p} fue gratis y sin complicaciones",
                "me devolvieron el dinero sin hacer preguntas"),
               ("sigo esperando el reembolso después de un mes", "devolver el {p} fue una pesadilla",
                "se negaron a aceptar mi devolución")),
        "ca": (("la devolució va ser fàcil i el reemborsament va arribar en tres dies", "tornar el {p} va ser gratuït i senzill",
                "em van retornar els diners sense fer preguntes"),
               ("encara espero el reemborsament després d'un mes", "tornar el {p} va ser un malson",
                "es van negar a acceptar la meva devolució")),
        "pt": (("a devolução foi fácil e o reembolso chegou em três dias", "devolver o {p} foi grátis e sem complicações",
                "devolveram-me o dinheiro sem perguntas"),
               ("ainda estou à espera do reembolso há um mês", "devolver o {p} foi um pesadelo",
                "recusaram aceitar a minha devolução")),
    },
    "packaging": {
        "en": (("lovely packaging, perfect for a gift", "everything was carefully wrapped", "the box was plastic-free, nice touch"),
               ("the box arrived crushed", "way too much plastic in the packaging", "the {p} came badly wrapped and scratched")),
        "es": (("el embalaje es precioso, perfecto para regalar", "todo venía muy bien envuelto", "la caja venía sin plásticos, todo un detalle"),
               ("la caja llegó aplastada", "demasiado plástico en el embalaje", "el {p} venía mal embalado y rayado")),
        "ca": (("l'embalatge és preciós, perfecte per regalar", "tot venia molt ben embolicat", "la caixa venia sense plàstics, tot un detall"),
               ("la caixa va arribar aixafada", "massa plàstic a l'embalatge", "el {p} venia mal embalat i ratllat")),
        "pt": (("a embalagem é linda, perfeita para oferecer", "veio tudo muito bem embrulhado", "a caixa vinha sem plástico, um bom detalhe"),
               ("a caixa chegou esmagada", "plástico a mais na embalagem", "o {p} veio mal embalado e riscado")),
    },
    "stock": {
        "en": (("the {p} was back in stock quickly", "everything I wanted was available", "they had my size in stock"),
               ("the {p} was out of stock again", "they cancelled part of my order because it was out of stock",
                "half the items I wanted were unavailable")),
        "es": (("el {p} volvió a estar en stock enseguida", "tenían disponible todo lo que buscaba", "tenían mi talla en stock"),
               ("el {p} volvía a estar agotado", "cancelaron parte del pedido porque no había stock",
                "la mitad de lo que quería no estaba disponible")),
        "ca": (("el {p} va tornar a estar en estoc de seguida", "tenien disponible tot el que buscava", "tenien la meva talla en estoc"),
               ("el {p} tornava a estar esgotat", "van cancel·lar part de la comanda perquè no hi havia estoc",
                "la meitat del que volia no estava disponible")),
        "pt": (("o {p} voltou a ter stock rapidamente", "tinham disponível tudo o que eu procurava", "tinham o meu tamanho em stock"),
               ("o {p} estava outra vez esgotado", "cancelaram parte da encomenda por falta de stock",
                "metade do que eu queria não estava disponível")),
    },
}

# theme -> language -> neutral clauses: neither praise nor complaint (a plain "it was ok").
NEUTRAL: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "en": ("delivery was ok, it came when they said", "the parcel took about four days, normal", "shipping was neither fast nor slow"),
        "es": ("el envío bien, llegó cuando dijeron", "el paquete tardó unos cuatro días, lo normal", "la entrega ni rápida ni lenta"),
        "ca": ("l'enviament bé, va arribar quan van dir", "el paquet va trigar uns quatre dies, el normal", "el lliurament ni ràpid ni lent"),
        "pt": ("a entrega foi normal, chegou quando disseram", "a encomenda demorou uns quatro dias, o normal", "o envio nem rápido nem lento"),
    },
    "price": {
        "en": ("the price is about what you pay elsewhere", "the price is fair, nothing special", "not cheap, not expensive"),
        "es": ("el precio es más o menos el de otras tiendas", "precio correcto, nada especial", "ni barato ni caro"),
        "ca": ("el preu és més o menys el d'altres botigues", "preu correcte, res especial", "ni barat ni car"),
        "pt": ("o preço é mais ou menos o das outras lojas", "preço justo, nada de especial", "nem barato nem caro"),
    },
    "product_quality": {
        "en": ("the {p} is fine, does the job", "the {p} is ok for the price", "the {p} is as described, nothing more"),
        "es": ("el {p} está bien, cumple", "el {p} es correcto para lo que cuesta", "el {p} es como en la descripción, sin más"),
        "ca": ("el {p} està bé, compleix", "el {p} és correcte pel que costa", "el {p} és com a la descripció, sense més"),
        "pt": ("o {p} é razoável, cumpre", "o {p} é aceitável pelo preço", "o {p} é como na descrição, nada mais"),
    },
    "customer_service": {
        "en": ("customer service answered after a couple of days", "the support team replied with a standard answer",
               "I had to write to customer support twice"),
        "es": ("atención al cliente contestó a los dos días", "el equipo de soporte respondió con una respuesta estándar",
               "tuve que escribir dos veces a atención al cliente"),
        "ca": ("l'atenció al client va contestar al cap de dos dies", "l'equip de suport va respondre amb una resposta estàndard",
               "vaig haver d'escriure dues vegades a atenció al client"),
        "pt": ("o apoio ao cliente respondeu passados dois dias", "a equipa de suporte respondeu com uma resposta padrão",
               "tive de escrever duas vezes ao apoio ao cliente"),
    },
    "website": {
        "en": ("the website works, a bit old-fashioned", "the app is ok once you find things", "checkout on the website was average"),
        "es": ("la web funciona, algo anticuada", "la app está bien cuando encuentras las cosas", "el pago en la web normalito"),
        "ca": ("el web funciona, una mica antiquat", "l'app està bé quan trobes les coses", "el pagament al web normalet"),
        "pt": ("o site funciona, um pouco antiquado", "a app é razoável quando se encontra as coisas", "o pagamento no site foi normal"),
    },
    "returns": {
        "en": ("the return took a while but the refund came", "returning the {p} was the usual process", "the refund took two weeks"),
        "es": ("la devolución tardó un poco pero llegó el reembolso", "devolver el {p} fue el proceso de siempre", "el reembolso tardó dos semanas"),
        "ca": ("la devolució va trigar una mica però va arribar el reemborsament", "tornar el {p} va ser el procés de sempre",
               "el reemborsament va trigar dues setmanes"),
        "pt": ("a devolução demorou um pouco mas o reembolso chegou", "devolver o {p} foi o processo habitual", "o reembolso demorou duas semanas"),
    },
    "packaging": {
        "en": ("the packaging was standard", "the box was a bit big for the {p}", "normal cardboard box, nothing special"),
        "es": ("el embalaje era el estándar", "la caja era un poco grande para el {p}", "caja de cartón normal, nada especial"),
        "ca": ("l'embalatge era l'estàndard", "la caixa era una mica gran per al {p}", "caixa de cartró normal, res especial"),
        "pt": ("a embalagem era a normal", "a caixa era um pouco grande para o {p}", "caixa de cartão normal, nada de especial"),
    },
    "stock": {
        "en": ("the {p} was available in one colour only", "I waited a few days for the {p} to be in stock", "most items were available"),
        "es": ("el {p} solo estaba disponible en un color", "esperé unos días a que el {p} estuviera en stock", "casi todo estaba disponible"),
        "ca": ("el {p} només estava disponible en un color", "vaig esperar uns dies que el {p} estigués en estoc", "gairebé tot estava disponible"),
        "pt": ("o {p} só estava disponível numa cor", "esperei uns dias até o {p} ter stock", "quase tudo estava disponível"),
    },
}

OPENERS = {
    "en": (("Really happy.", "Love this shop!", "Great experience overall.", "Second time ordering here."),
           ("Very disappointed.", "Not happy at all.", "Never again.", "What a mess.")),
    "es": (("Muy contenta.", "¡Me encanta esta tienda!", "Muy buena experiencia.", "Es la segunda vez que compro."),
           ("Muy decepcionado.", "Nada contento.", "No vuelvo a comprar.", "Vaya desastre.")),
    "ca": (("Molt contenta.", "M'encanta aquesta botiga!", "Molt bona experiència.", "És la segona vegada que compro."),
           ("Molt decebut.", "Gens content.", "No hi tornaré a comprar.", "Quin desastre.")),
    "pt": (("Muito contente.", "Adoro esta loja!", "Ótima experiência.", "É a segunda vez que compro."),
           ("Muito desiludido.", "Nada satisfeito.", "Nunca mais.", "Que confusão.")),
}
CLOSERS = {
    "en": (("Will buy again.", "Highly recommended.", "Thanks!", "5 stars from me."),
           ("I want my money back.", "Please fix this.", "Would not recommend.", "Really frustrating.")),
    "es": (("Repetiré seguro.", "Muy recomendable.", "¡Gracias!", "Cinco estrellas."),
           ("Quiero que me devuelvan el dinero.", "A ver si lo arreglan.", "No lo recomiendo.", "Muy frustrante.")),
    "ca": (("Hi tornaré segur.", "Molt recomanable.", "Gràcies!", "Cinc estrelles."),
           ("Vull que em tornin els diners.", "A veure si ho arreglen.", "No ho recomano.", "Molt frustrant.")),
    "pt": (("Vou voltar a comprar.", "Recomendo muito.", "Obrigada!", "Cinco estrelas."),
           ("Quero o meu dinheiro de volta.", "Resolvam isto, por favor.", "Não recomendo.", "Muito frustrante.")),
}
# Openers that borrow the other side's words ("not bad", "expected better"), and neutral ones.
HEDGED = {
    "en": (("Not bad at all.", "No complaints.", "I had my doubts, but no problems."),
           ("Expected much better.", "Nice idea, poor result.", "Not good.")),
    "es": (("Nada mal.", "Ninguna queja.", "Tenía mis dudas, pero ningún problema."),
           ("Esperaba mucho más.", "Buena idea, mal resultado.", "No está bien.")),
    "ca": (("Gens malament.", "Cap queixa.", "Tenia els meus dubtes, però cap problema."),
           ("Esperava molt més.", "Bona idea, mal resultat.", "No està bé.")),
    "pt": (("Nada mau.", "Nenhuma queixa.", "Tinha as minhas dúvidas, mas nenhum problema."),
           ("Esperava muito melhor.", "Boa ideia, mau resultado.", "Não está bem.")),
}
NEUTRAL_OPENERS = {"en": ("It's ok.", "Mixed feelings.", "Average experience.", "Fine I guess."),
                   "es": ("Está bien.", "Sensaciones mixtas.", "Experiencia normal.", "Correcto, supongo."),
                   "ca": ("Està bé.", "Sensacions barrejades.", "Experiència normal.", "Correcte, suposo."),
                   "pt": ("Está ok.", "Sentimentos mistos.", "Experiência normal.", "Razoável, acho eu.")}
NEUTRAL_CLOSERS = {"en": ("Might buy again, might not.", "Three stars.", "Nothing to add."),
                   "es": ("Puede que repita, puede que no.", "Tres estrellas.", "Nada más que añadir."),
                   "ca": ("Potser hi tornaré, potser no.", "Tres estrelles.", "Res més a afegir."),
                   "pt": ("Talvez volte a comprar, talvez não.", "Três estrelas.", "Nada a acrescentar.")}
JOIN = {"en": (" and ", ", and ", ". Also, "), "es": (" y ", ", y ", ". Además, "),
        "ca": (" i ", ", i ", ". A més, "), "pt": (" e ", ", e ", ". Além disso, ")}
BUT = {"en": ", but ", "es": ", pero ", "ca": ", però ", "pt": ", mas "}


def compose(rng: np.random.Generator, language: str, themes: list[str], polarity: list[str], product: str) -> str:
    """One feedback text: a clause per theme with its polarity (positive, negative, neutral), an
    opener and a closer sometimes, and the slips of hurried writers."""
    clauses = []
    for theme, pol in zip(themes, polarity):
        if pol == "neutral":
            options = NEUTRAL[theme][language]
        else:
            options = CLAUSES[theme][language][0 if pol == "positive" else 1]
        clauses.append(options[rng.integers(len(options))].format(p=product.lower()))
    if len(clauses) == 1:
        body = clauses[0]
    elif polarity[0] != polarity[1]:
        body = clauses[0] + BUT[language] + clauses[1]
    else:
        joins = JOIN[language]
        body = clauses[0] + joins[rng.integers(len(joins))] + clauses[1]
    body = body[0].upper() + body[1:]
    overall = polarity[0] if len(set(polarity)) == 1 else "mixed"
    parts = []
    if overall == "neutral":
        if rng.random() < 0.5:
            parts.append(NEUTRAL_OPENERS[language][rng.integers(len(NEUTRAL_OPENERS[language]))])
    elif overall != "mixed" and rng.random() < 0.5:
        side = 0 if overall == "positive" else 1
        pool = HEDGED[language][side] if rng.random() < 0.4 else OPENERS[language][side]
        parts.append(pool[rng.integers(len(pool))])
    parts.append(body + ("!" if rng.random() < 0.2 else "."))
    if overall == "neutral":
        if rng.random() < 0.3:
            parts.append(NEUTRAL_CLOSERS[language][rng.integers(len(NEUTRAL_CLOSERS[language]))])
    elif overall != "mixed" and rng.random() < 0.4:
        closers = CLOSERS[language][0 if overall == "positive" else 1]
        parts.append(closers[rng.integers(len(closers))])
    text = " ".join(parts)
    if rng.random() < 0.08:
        text = text.lower()
    if rng.random() < 0.25:
        text = typo(rng, text)
    return text


def typo(rng: np.random.Generator, text: str) -> str:
    """One or two slips in words of four letters or more: a letter dropped, doubled or swapped with the next."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in rng.choice(long, size=min(len(long), int(rng.integers(1, 3))), replace=False) if long else []:
        w = words[i]
        j = int(rng.integers(1, len(w) - 1))
        kind = rng.integers(3)
        words[i] = (w[:j] + w[j + 1:] if kind == 0 else w[:j] + w[j] + w[j:] if kind == 1
                    else w[:j] + w[j + 1] + w[j] + w[j + 2:])
    return " ".join(words)
