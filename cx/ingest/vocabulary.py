"""Words the mapper knows: header spellings per target (several languages) and value words.

Headers are compared after :func:`normalise` (lower case, accents and punctuation removed), so
"Kündigungsdatum", "KUNDIGUNGSDATUM" and "kündigungs-datum" meet the same entry. A header matches a
synonym when the synonym's words appear in it contiguously; the more of the header they cover,
the stronger the match.
"""

from __future__ import annotations

import re
import unicodedata

# the yes/no words are the outcomes' own: one vocabulary for the mapper, journeys and churn
from cx.outcomes import FALSE_WORDS, TRUE_WORDS  # noqa: F401  (re-exported for the mapper)

#: Roles a source column can play besides a canonical column.
ROLE_FIRST_RESPONSE_AT = "first_response_at"  # with occurred_at -> first_response_minutes
ROLE_RESOLVED_AT = "resolved_at"  # with occurred_at -> resolution_hours
ROLE_RATING = "rating"  # wide surveys: one rating column per touchpoint, melted to rows
ROLE_OFFSET = "offset"  # rating streams: time offset within an episode
ROLE_RECORD_ID = "record_id"  # the ticket / response id: one row per record, checked for conflicting repeats
IGNORE = "ignore"
ROLES = (ROLE_FIRST_RESPONSE_AT, ROLE_RESOLVED_AT, ROLE_RATING, ROLE_OFFSET, ROLE_RECORD_ID)

# target -> (kind, synonyms). Kinds decide which values fit (see suggest._fits).
SYNONYMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "customer_id": ("id", (
        "customer id", "customer", "customer number", "customer no", "customer nr", "customer ref",
        "cust id", "custid", "client id", "client", "client number", "account id", "account",
        "account number", "customerid", "clientid", "accountid", "memberid", "screen name", "screenname",
        "user name", "username", "handle", "twitter handle", "user id", "userid", "user", "member id", "member", "contact id",
        "respondent id", "respondent", "participant", "participant id", "subject", "subject id",
        "patient", "patient id", "episode", "episode id", "session id", "session", "conversation id",
        "call id", "trial", "customer email", "email address", "e mail", "email", "caller id", "caller",
        "requester", "requester id", "requested by", "reporter", "reporter id", "end user", "requestor",
        "kunde", "kunden id", "kundennummer", "kunden nr", "kundennr", "kunden", "id client",
        "numero client", "num client", "no client", "identifiant client", "cliente", "id cliente",
        "numero de cliente", "num cliente", "klant", "klantnummer", "klant id", "klantnr", "id",
    )),
    "occurred_at": ("timestamp", (
        "date", "timestamp", "time stamp", "datetime", "date time", "created", "created at",
        "created on", "creation date", "date created", "opened", "opened at", "open date",
        "submitted", "submitted at", "submission date", "response date", "survey date",
        "interaction date", "contact date", "ticket created", "reported", "reported at", "received",
        "received at", "start time", "started at", "occurred at", "event time", "when", "time",
        "datum", "erstellt", "erstellt am", "zeitstempel", "eingang", "date de creation",
        "horodatage", "date de reponse", "date d ouverture", "fecha", "fecha de creacion",
        "fecha de respuesta", "fecha y hora", "aangemaakt", "datum aangemaakt", "tijdstip",
    )),
    ROLE_FIRST_RESPONSE_AT: ("timestamp", (
        "first response", "first response at", "first reply", "first reply at", "responded",
        "responded at", "replied", "replied at", "first answer", "first contact at", "answered at",
        "erste antwort", "erste reaktion", "beantwortet", "premiere reponse", "date de premiere reponse",
        "primera respuesta", "fecha primera respuesta", "eerste reactie", "eerste antwoord",
    )),
    ROLE_RESOLVED_AT: ("timestamp", (
        "resolved", "resolved at", "resolved on", "resolution date", "closed", "closed at",
        "closed on", "close date", "solved", "solved at", "completed", "completed at", "done at",
        "geschlossen", "gelost", "erledigt", "abgeschlossen", "resolu", "resolu le", "ferme",
        "date de cloture", "cerrado", "resuelto", "fecha de cierre", "fecha de resolucion",
        "opgelost", "gesloten", "afgesloten",
    )),
    ROLE_RECORD_ID: ("record", (
        "ticket id", "ticket", "ticket number", "ticket no", "ticket nr", "ticket ref", "case id", "case number",
        "case no", "response id", "survey response id", "interaction id", "record id", "incident id",
        "incident number", "request id", "request number", "ticketnummer", "ticket nummer", "vorgangsnummer",
        "fallnummer", "numero de ticket", "id ticket", "numero de dossier", "numero de caso", "id de respuesta",
        "meldingsnummer",
    )),
    "seq": ("int", ("seq", "sequence", "step number", "order", "position", "visit number", "touch number")),
    ROLE_OFFSET: ("number", (
        "offset", "time offset", "elapsed", "elapsed time", "elapsed seconds", "seconds", "second",
        "minute", "minutes", "t", "time s", "time sec", "time min", "moment", "sample time",
        "sekunde", "zeitpunkt", "instant", "segundo", "momento", "tijd", "moment s",
    )),
    "channel": ("category", (
        "channel", "contact channel", "support channel", "source", "medium", "via", "origin",
        "contact type", "kanal", "kontaktkanal", "canal", "canal de contact", "canal de contacto",
        "kanaal",
    )),
    "journey_stage": ("category", (
        "journey stage", "stage", "customer journey stage", "lifecycle stage", "phase", "journey",
        "funnel stage", "etape", "etape du parcours", "etapa", "fase", "reisfase", "kundenphase",
    )),
    "touchpoint": ("category", (
        "touchpoint", "touch point", "question", "topic", "category", "contact reason", "reason",
        "step", "thema", "kategorie", "anliegen", "sujet", "motif",
        "categorie", "tema", "categoria", "motivo", "onderwerp", "categorie",
    )),
    "nps": ("nps", (
        "nps", "net promoter", "net promoter score", "nps score", "likelihood to recommend", "ltr",
        "likely to recommend", "how likely", "how likely are you to recommend", "would recommend",
        "recommend", "recommendation", "weiterempfehlung", "empfehlung", "weiterempfehlen",
        "recommandation", "recommander", "probabilite de recommandation", "recomendacion",
        "recomendaria", "recomendar", "aanbevelen", "aanbeveling", "aanraden",
    )),
    "csat": ("score", (
        "csat", "csat score", "satisfaction", "overall satisfaction", "customer satisfaction",
        "satisfaction score", "sat", "satisfied", "rating", "score", "stars", "star rating",
        "zufriedenheit", "gesamtzufriedenheit", "kundenzufriedenheit", "bewertung", "satisfaction client",
        "note", "note de satisfaction", "satisfaccion", "satisfaccion del cliente", "valoracion",
        "puntuacion", "tevredenheid", "klanttevredenheid", "beoordeling", "cijfer",
    )),
    "ces": ("score", (
        "ces", "customer effort", "customer effort score", "effort", "effort score", "ease",
        "ease of use", "easy", "ease of resolution", "difficulty", "aufwand", "kundenaufwand",
        "einfachheit", "effort client", "facilite", "esfuerzo", "facilidad", "moeite", "gemak",
        "klantinspanning",
    )),
    "first_response_minutes": ("duration", (
        "first response time", "first response minutes", "frt", "time to first response", "response time", "first reply time",
        "time to first reply", "reply time", "wait time", "waiting time", "reaktionszeit",
        "antwortzeit", "temps de premiere reponse", "delai de reponse", "temps de reponse",
        "tiempo de primera respuesta", "tiempo de respuesta", "reactietijd", "responstijd",
    )),
    "resolution_hours": ("duration", (
        "resolution time", "ttr", "time to resolution", "time to resolve", "time to close",
        "resolution hours", "handling time", "full resolution time", "losungszeit", "bearbeitungszeit",
        "temps de resolution", "delai de resolution", "tiempo de resolucion", "oplostijd",
        "doorlooptijd", "afhandeltijd",
    )),
    "resolved_first_contact": ("bool", (
        "fcr", "first contact resolution", "first call resolution", "resolved first contact",
        "resolved at first contact", "resolved on first contact", "one touch", "one touch resolution",
        "solved first contact", "erstlosung", "erstkontaktlosung", "resolu au premier contact",
        "resolucion primer contacto", "resuelto primer contacto", "eerste keer goed",
    )),
    "comment": ("text", (
        "comment", "comments", "verbatim", "feedback", "text", "remarks", "remark", "free text",
        "open text", "open answer", "why", "reason for score", "notes", "note text", "message",
        "description", "kommentar", "anmerkung", "anmerkungen", "freitext", "commentaire",
        "commentaires", "remarque", "comentario", "comentarios", "observaciones", "opmerking",
        "opmerkingen", "toelichting",
    )),
    "revenue": ("number", (
        "revenue", "amount", "order value", "order amount", "spend", "sales", "value", "price",
        "umsatz", "betrag", "bestellwert", "chiffre d affaires", "montant", "ingresos", "importe",
        "omzet", "bedrag",
    )),
    "agent": ("who", (
        "agent", "agent name", "agent id", "assignee", "assigned to", "assigned agent", "rep", "sales rep",
        "representative", "handled by", "handler", "advisor", "adviser", "operator", "owner", "ticket owner",
        "case owner", "responder", "sachbearbeiter", "bearbeiter", "mitarbeiter",
        "conseiller", "agent traitant", "agente", "asesor", "medewerker", "behandelaar",
    )),
    "team": ("who", (
        "team", "team name", "queue", "support queue", "group", "assignment group", "support group",
        "agent group", "department", "agency", "desk", "service desk", "squad",
        "abteilung", "gruppe", "equipe", "equipo", "departamento", "cola", "afdeling", "wachtrij",
    )),
    "survey_offered": ("bool", (
        "survey offered", "offered", "survey sent", "survey invited", "invited", "invitation sent",
        "surveyed", "survey requested", "survey delivered", "umfrage gesendet", "enquete envoyee",
        "encuesta enviada", "enquete verstuurd",
    )),
    "customers.segment": ("category", (
        "segment", "customer segment", "tier", "plan", "customer type", "type", "customer tier",
        "kundensegment", "kundentyp", "segment client", "type de client", "segmento",
        "tipo de cliente", "klantsegment", "klanttype",
    )),
    "customers.region": ("category", (
        "region", "country", "market", "area", "territory", "state", "land", "pays", "pais",
        "regio", "landesregion", "zone",
    )),
    "customers.signup_at": ("timestamp", (
        "signup", "signup date", "sign up", "sign up date", "signed up", "joined", "join date",
        "customer since", "member since", "registration date", "registered", "registered at",
        "first purchase", "first order", "start date", "onboarded", "kunde seit", "registriert",
        "anmeldedatum", "client depuis", "date d inscription", "cliente desde", "fecha de alta",
        "klant sinds", "inschrijfdatum",
    )),
    "customers.churned": ("bool", (
        "churn", "churned", "has churned", "churn flag", "status", "customer status", "active",
        "is active", "cancelled", "canceled", "lost", "retained", "left", "exited", "attrition",
        "still customer", "gekundigt", "abgewandert", "aktiv", "resilie", "desabonne", "actif",
        "baja", "dado de baja", "activo", "opgezegd", "vertrokken", "actief",
    )),
    "customers.churned_at": ("timestamp", (
        "churn date", "churned at", "churned on", "cancellation date", "cancelled at",
        "canceled at", "end date", "termination date", "left at", "kundigungsdatum",
        "date de resiliation", "fecha de baja", "opzegdatum",
    )),
    "customers.lifetime_value": ("number", (
        "ltv", "clv", "cltv", "lifetime value", "customer lifetime value", "lifetime revenue",
        "total spend", "total revenue", "kundenwert", "customer value", "valeur vie client",
        "valeur client", "valor de vida", "valor del cliente", "klantwaarde",
    )),
}

#: header words of a count (items, votes, photos): small whole numbers that are not a rating
COUNT_WORDS = frozenset({
    "qty", "quantity", "count", "counts", "votes", "vote", "number", "num", "nr", "n", "items", "photos", "times",
    "anzahl", "menge", "nombre", "quantite", "cantidad", "numero", "aantal",
})
#: header words of a place: a postal code or coordinates is never a customer id
PLACE_WORDS = frozenset({
    "zip", "postal", "postcode", "post", "plz", "cep", "lat", "latitude", "long", "longitude", "lon", "lng", "geo",
    "location", "address", "city", "state", "country", "borough", "prefix", "area",
})

#: headers that announce the overall (retrospective) verdict of a survey or episode
OVERALL_WORDS = (
    "overall", "verdict", "overall verdict", "overall experience", "overall rating", "overall impression",
    "retrospective", "retrospective rating", "global", "final rating", "overall evaluation",
    "gesamturteil", "gesamteindruck", "gesamt", "avis general", "impression generale", "global",
    "valoracion general", "general", "algemeen oordeel", "eindoordeel", "totaaloordeel",
)

#: headers of a churn flag whose "yes" means the customer stayed
INVERSE_CHURN_WORDS = ("active", "is active", "retained", "still customer", "aktiv", "actif", "activo", "actief")

#: rating words that make a moment rating an effort-like score (higher = worse)
HIGHER_IS_WORSE_WORDS = ("pain", "discomfort", "distress", "difficulty", "how much effort", "schmerz", "douleur", "dolor", "pijn")
HIGHER_IS_BETTER_EFFORT_WORDS = ("ease", "easy", "einfach", "facile", "facil", "gemak", "makkelijk")

NA_TOKENS = frozenset({
    "", "na", "n a", "n/a", "#n/a", "nan", "null", "none", "-", "--", "?", "unknown", "not applicable",
    "k.a.", "k a", "keine angabe", "nc", "ns/nc", "ns", "s.o.", "nd", "non applicable", "sans objet",
    "nvt", "n.v.t.", "onbekend", "desconocido", "no aplica", "#value!", "#div/0!", "#ref!",
})

COUNTERPART = {"no": "yes", "false": "true", "0": "1", "n": "y", "active": "inactive", "nein": "ja",
               "non": "oui", "nee": "ja"}

#: ordered answer labels -> position on a 1–5 scale (English plus a few common translations)
LIKERT: dict[str, float] = {
    "very dissatisfied": 1, "dissatisfied": 2, "neutral": 3, "satisfied": 4, "very satisfied": 5,
    "very unsatisfied": 1, "unsatisfied": 2, "neither satisfied nor dissatisfied": 3,
    "very difficult": 1, "difficult": 2, "easy": 4, "very easy": 5,
    "very poor": 1, "poor": 2, "fair": 3, "average": 3, "good": 4, "very good": 5, "excellent": 5,
    "sehr unzufrieden": 1, "unzufrieden": 2, "zufrieden": 4, "sehr zufrieden": 5,
    "tres insatisfait": 1, "insatisfait": 2, "satisfait": 4, "tres satisfait": 5,
    "muy insatisfecho": 1, "insatisfecho": 2, "satisfecho": 4, "muy satisfecho": 5,
    "zeer ontevreden": 1, "ontevreden": 2, "tevreden": 4, "zeer tevreden": 5,
}

CHANNEL_ALIASES = {
    "e mail": "email", "mail": "email", "e-mail": "email", "courriel": "email", "correo": "email",
    "telephone": "phone", "tel": "phone", "call": "phone", "voice": "phone", "phone call": "phone",
    "telefon": "phone", "telefono": "phone", "telefoon": "phone", "hotline": "phone",
    "live chat": "chat", "livechat": "chat", "chatbot": "chat", "messenger": "chat", "whatsapp": "chat",
    "website": "web", "online": "web", "webform": "web", "web form": "web", "webshop": "web",
    "mobile app": "app", "mobile": "app", "ios": "app", "android": "app", "in app": "app",
    "in store": "store", "in-store": "store", "shop": "store", "branch": "store", "retail": "store",
    "filiale": "store", "magasin": "store", "tienda": "store", "winkel": "store",
    "twitter": "social", "facebook": "social", "instagram": "social", "x": "social", "linkedin": "social",
    "social media": "social", "tiktok": "social",
}
STAGE_ALIASES = {
    "discover": "awareness", "discovery": "awareness", "research": "consideration",
    "evaluation": "consideration", "pre purchase": "consideration", "pre-purchase": "consideration",
    "buy": "purchase", "checkout": "purchase", "order": "purchase", "kauf": "purchase", "achat": "purchase",
    "compra": "purchase", "aankoop": "purchase", "post purchase": "retention", "post-purchase": "retention",
    "service": "retention", "support": "retention", "onboarding": "retention", "usage": "retention",
    "loyalty": "advocacy", "referral": "advocacy", "advocate": "advocacy",
}


def normalise(text: object) -> str:
    """Lower-case words of a header or value, accents and punctuation removed ("Churned?" -> "churned")."""
    value = unicodedata.normalize("NFKD", str(text)).replace("ß", "ss")
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", " ", value).strip()


def slug(text: object, limit: int = 40) -> str:
    """An identifier-safe attribute name for a header ("Overall verdict" -> "overall_verdict")."""
    words = normalise(text).replace(" ", "_")[:limit].strip("_")
    if not words:
        return "attribute"
    return words if not words[0].isdigit() else f"c_{words}"


def phrase_score(header_words: tuple[str, ...], synonym: str) -> float:
    """How well a synonym matches a normalised header (0 = not at all, 100 = exactly)."""
    syn = tuple(synonym.split())
    if not syn or not header_words:
        return 0.0
    if syn == header_words:
        return 100.0
    n, m = len(header_words), len(syn)
    for start in range(n - m + 1):
        if header_words[start:start + m] == syn:
            return 60.0 + 30.0 * m / n
    return 0.0
