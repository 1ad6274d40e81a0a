"""Replies as the common mail clients write them, made for these tests from each client's
documented or observed reply layout: where the quote starts, how the attribution line reads in
each language, where the sender's signature sits.

The replies quote our own message to the client, signed by us (Bob Stone, Acme Appraisals, with
our phone, LinkedIn and address), so any of that found in the sender's own text or in their
signature is a leak; a few messages quote nothing and must come through whole. `own` is the
sender's own text, line by line, signature included; `signature` the fields expected from it
(None: there is nothing to find).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.mail.model import Address

LEAKS = ("acme", "bob stone", "555-0100", "inspection date", "ord-10001", "main st", "75201")
OUR_TEXT = "Checking in on order ORD-10001: could you confirm the inspection date?"
OUR_SIGNATURE = ["Bob Stone", "Account Manager | Acme Appraisals", "(214) 555-0100",
                 "linkedin.com/in/bob-stone", "100 Main St, Dallas, TX 75201"]
BOB = "Bob Stone <bob@acme-appraisals.example>"
BOB_HTML = "Bob Stone &lt;<a href=\"mailto:bob@acme-appraisals.example\">" \
           "bob@acme-appraisals.example</a>&gt;"
JANE = Address("Jane Doe", "jane.doe@lender.example")


@dataclass(frozen=True)
class Reply:
    name: str
    body: str  # the text/plain body, or the HTML page when html
    own: str
    html: bool = False
    sender: Address = JANE
    signature: dict[str, str | None] | None = field(default=None)


def quoted(prefix: str = "> ") -> str:
    """Our message as a plain-text reply quotes it."""
    lines = ["Hi,", "", OUR_TEXT, "", "Thanks,", "--", *OUR_SIGNATURE]
    return "\n".join(f"{prefix}{line}".rstrip() if line else prefix.rstrip() for line in lines)


def unprefixed() -> str:
    """Our message as Outlook, Yahoo and Zoho quote it: below a header, lines not marked."""
    return quoted("")


OUR_HTML = (f"<div>Hi,</div><div><br></div><div>{OUR_TEXT}</div><div><br></div>"
            "<div>Thanks,</div><div>--<br>" + "<br>".join(OUR_SIGNATURE) + "</div>")
OUR_MSO = "".join(f"<p class=MsoNormal>{line}<o:p></o:p></p>" for line in
                  ["Hi,", OUR_TEXT, "Thanks,", *OUR_SIGNATURE])
OUTLOOK_HEAD = ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head>"
                "<meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">"
                "<style><!-- p.MsoNormal {margin:0in;font-size:11.0pt;} --></style></head>"
                "<body lang=EN-US link=\"#0563C1\" vlink=\"#954F72\"><div class=WordSection1>")


def mso(*lines: str) -> str:
    return "".join(f"<p class=MsoNormal>{line}<o:p></o:p></p>" if line else
                   "<p class=MsoNormal><o:p>&nbsp;</o:p></p>" for line in lines)


PLAIN = [
    Reply("gmail plain, en", (
        "Tuesday at 10 works for us. The gate code is 4471.\n\n--\nJane Doe\n"
        "Loan Officer | Lender Bank\n(312) 555-0142\n\n"
        f"On Mon, Nov 16, 2026 at 9:00 AM {BOB} wrote:\n\n{quoted()}\n"),
        "Tuesday at 10 works for us. The gate code is 4471.\n--\nJane Doe\n"
        "Loan Officer | Lender Bank\n(312) 555-0142",
        signature={"phone": "+13125550142", "title": "Loan Officer", "company": "Lender Bank"}),
    Reply("gmail plain, attribution wrapped", (
        "Yes, please go ahead.\n\nOn Mon, Nov 16, 2026 at 9:00 AM Bob Stone <\n"
        f"bob@acme-appraisals.example> wrote:\n\n{quoted()}\n"),
        "Yes, please go ahead."),
    Reply("outlook plain, en", (
        "Confirmed for Tuesday.\n\nRegards,\nJane Doe\nSenior Processor\nLender Bank\n"
        "Direct: 312-555-0142\n\n"
        f"From: {BOB}\nSent: Monday, November 16, 2026 9:00 AM\n"
        "To: Jane Doe <jane.doe@lender.example>\nSubject: Order ORD-10001\n\n"
        f"{unprefixed()}\n"),
        "Confirmed for Tuesday.\nRegards,\nJane Doe\nSenior Processor\nLender Bank\n"
        "Direct: 312-555-0142",
        signature={"phone": "+13125550142", "title": "Senior Processor",
                   "company": "Lender Bank"}),
    Reply("outlook 365 plain, separator line, 'At your service'", (
        "The key is with the neighbour at no. 12.\n\nAt your service,\nLinda Park\n"
        "Office Manager\nPark Realty Group\n(469) 555-0143\n\n"
        "________________________________\n"
        f"From: {BOB}\nSent: Monday, November 16, 2026 9:00 AM\n"
        "To: Linda Park <linda@parkrealty.example>\nSubject: Order ORD-10001\n\n"
        f"{unprefixed()}\n"),
        "The key is with the neighbour at no. 12.\nAt your service,\nLinda Park\n"
        "Office Manager\nPark Realty Group\n(469) 555-0143",
        sender=Address("Linda Park", "linda@parkrealty.example"),
        signature={"phone": "+14695550143", "title": "Office Manager",
                   "company": "Park Realty Group"}),
    Reply("outlook 2003 plain, Original Message", (
        "Received, we will be there.\n\nPeter\n\n-----Original Message-----\n"
        "From: Bob Stone [mailto:bob@acme-appraisals.example]\n"
        "Sent: Monday, November 16, 2026 9:00 AM\nTo: Peter Hall\nSubject: Order ORD-10001\n\n"
        f"{unprefixed()}\n"),
        "Received, we will be there.\nPeter",
        sender=Address("Peter Hall", "peter@hall.example")),
    Reply("outlook plain, de header block", (
        "Passt, Dienstag um 10 Uhr.\n\nMit freundlichen Grüßen\nHans Müller\n"
        "Geschäftsführer\nMüller Immobilien GmbH\nTel.: +49 30 1234567\n"
        "Friedrichstraße 123, 10117 Berlin\n\n"
        f"Von: {BOB}\nGesendet: Montag, 16. November 2026 09:00\n"
        "An: Hans Müller <hans@mueller-immobilien.example>\nBetreff: Auftrag ORD-10001\n\n"
        f"{unprefixed()}\n"),
        "Passt, Dienstag um 10 Uhr.\nMit freundlichen Grüßen\nHans Müller\nGeschäftsführer\n"
        "Müller Immobilien GmbH\nTel.: +49 30 1234567\nFriedrichstraße 123, 10117 Berlin",
        sender=Address("Hans Müller", "hans@mueller-immobilien.example"),
        signature={"phone": "+49301234567", "title": "Geschäftsführer",
                   "company": "Müller Immobilien GmbH",
                   "address": "Friedrichstraße 123, 10117 Berlin"}),
    Reply("outlook plain, fr header block", (
        "Bonjour,\n\nMardi 10h nous convient.\n\nCordialement,\nClaire Dubois\n"
        "Responsable commerciale\nDubois Expertises SARL\nTél. : +33 1 42 68 53 00\n\n"
        f"De : {BOB}\nEnvoyé : lundi 16 novembre 2026 09:00\n"
        "À : Claire Dubois <claire@dubois.example>\nObjet : Commande ORD-10001\n\n"
        f"{unprefixed()}\n"),
        "Bonjour,\nMardi 10h nous convient.\nCordialement,\nClaire Dubois\n"
        "Responsable commerciale\nDubois Expertises SARL\nTél. : +33 1 42 68 53 00",
        sender=Address("Claire Dubois", "claire@dubois.example"),
        signature={"phone": "+33142685300", "title": "Responsable commerciale",
                   "company": "Dubois Expertises SARL"}),
    Reply("thunderbird plain, de attribution", (
        "Danke, der Termin passt.\n\nViele Grüße\nKlaus Weber\nWeber Hausverwaltung GmbH\n\n"
        f"Am 16.11.2026 um 09:00 schrieb Bob Stone:\n{quoted()}\n"),
        "Danke, der Termin passt.\nViele Grüße\nKlaus Weber\nWeber Hausverwaltung GmbH",
        sender=Address("Klaus Weber", "klaus@weber-hv.example"),
        signature={"company": "Weber Hausverwaltung GmbH", "title": None, "phone": None}),
    Reply("gmail plain, fr attribution", (
        "Parfait, mardi 10h nous convient.\n\nBien cordialement,\nSophie Martin\n"
        "Directrice d'agence\nMartin Immobilier SAS\n+33 6 12 34 56 78\n\n"
        f"Le lun. 16 nov. 2026 à 09:00, {BOB} a écrit :\n\n{quoted()}\n"),
        "Parfait, mardi 10h nous convient.\nBien cordialement,\nSophie Martin\n"
        "Directrice d'agence\nMartin Immobilier SAS\n+33 6 12 34 56 78",
        sender=Address("Sophie Martin", "sophie@martin-immo.example"),
        signature={"phone": "+33612345678", "title": "Directrice d'agence",
                   "company": "Martin Immobilier SAS"}),
    Reply("gmail plain, es attribution", (
        "Perfecto, el martes a las 10 nos va bien.\n\nSaludos,\nCarlos Ruiz\nGerente General\n"
        "Ruiz Tasaciones S.L.\n+34 912 345 678\n\n"
        "El lun, 16 nov 2026 a las 9:00, Bob Stone (<bob@acme-appraisals.example>) "
        f"escribió:\n\n{quoted()}\n"),
        "Perfecto, el martes a las 10 nos va bien.\nSaludos,\nCarlos Ruiz\nGerente General\n"
        "Ruiz Tasaciones S.L.\n+34 912 345 678",
        sender=Address("Carlos Ruiz", "carlos@ruiz-tasaciones.example"),
        signature={"phone": "+34912345678", "title": "Gerente General",
                   "company": "Ruiz Tasaciones S.L."}),
    Reply("gmail plain, nl attribution", (
        "Dinsdag om 10 uur is prima.\n\nMet vriendelijke groet,\nJan de Vries\nMakelaar\n"
        "De Vries Makelaardij B.V.\n+31 20 123 4567\n\n"
        f"Op ma 16 nov. 2026 om 09:00 schreef {BOB}:\n\n{quoted()}\n"),
        "Dinsdag om 10 uur is prima.\nMet vriendelijke groet,\nJan de Vries\nMakelaar\n"
        "De Vries Makelaardij B.V.\n+31 20 123 4567",
        sender=Address("Jan de Vries", "jan@devries.example"),
        signature={"phone": "+31201234567", "title": "Makelaar",
                   "company": "De Vries Makelaardij B.V."}),
    Reply("gmail plain, it attribution", (
        "Va bene martedì alle 10.\n\nCordiali saluti\nMarco Rossi\nDirettore Tecnico\n"
        "Rossi Immobiliare S.r.l.\n+39 02 1234 5678\n\n"
        f"Il giorno lun 16 nov 2026 alle ore 09:00 {BOB} ha scritto:\n\n{quoted()}\n"),
        "Va bene martedì alle 10.\nCordiali saluti\nMarco Rossi\nDirettore Tecnico\n"
        "Rossi Immobiliare S.r.l.\n+39 02 1234 5678",
        sender=Address("Marco Rossi", "marco@rossi-immobiliare.example"),
        signature={"phone": "+390212345678", "title": "Direttore Tecnico",
                   "company": "Rossi Immobiliare S.r.l."}),
    Reply("gmail plain, pt attribution", (
        "Terça às 10h está ótimo.\n\nAtenciosamente,\nAna Souza\nGerente Comercial\n"
        "Souza Avaliações Ltda\n+55 11 91234-5678\n\n"
        f"Em seg., 16 de nov. de 2026 às 09:00, {BOB} escreveu:\n\n{quoted()}\n"),
        "Terça às 10h está ótimo.\nAtenciosamente,\nAna Souza\nGerente Comercial\n"
        "Souza Avaliações Ltda\n+55 11 91234-5678",
        sender=Address("Ana Souza", "ana@souza.example"),
        signature={"phone": "+5511912345678", "title": "Gerente Comercial",
                   "company": "Souza Avaliações Ltda"}),
    Reply("thunderbird plain, ru 'пишет'", (
        "Вторник в 10:00 подходит.\n\nС уважением,\nИван Петров\nДиректор\n"
        "ООО «Петров Оценка»\n+7 495 123-45-67\n\n"
        f"16.11.2026 9:00, Bob Stone пишет:\n{quoted()}\n"),
        "Вторник в 10:00 подходит.\nС уважением,\nИван Петров\nДиректор\nООО «Петров Оценка»\n"
        "+7 495 123-45-67",
        sender=Address("Иван Петров", "ivan@petrov.example"),
        signature={"phone": "+74951234567", "title": "Директор",
                   "company": "ООО «Петров Оценка»"}),
    Reply("outlook plain, ru 'написал(а)'", (
        "Спасибо, получили.\n\n"
        f"В понедельник, 16 ноября 2026 г. в 9:00 {BOB} написал(а):\n\n{quoted()}\n"),
        "Спасибо, получили.", sender=Address(None, "zakaz@petrov.example")),
    Reply("zoho plain, dashed attribution", (
        "Works for me.\n\n"
        f"---- On Mon, 16 Nov 2026 09:00:00 -0500 {BOB} wrote ----\n\n{unprefixed()}\n"),
        "Works for me."),
    Reply("outlook plain, de Ursprüngliche Nachricht", (
        "Bitte den Termin auf Mittwoch verschieben.\n\nGruß\nPeter Schmidt\nSchmidt & Partner\n"
        "+49 89 1234567\n\n-----Ursprüngliche Nachricht-----\n"
        "Von: Bob Stone [mailto:bob@acme-appraisals.example]\n"
        "Gesendet: Montag, 16. November 2026 09:00\nAn: Peter Schmidt\n"
        f"Betreff: Auftrag ORD-10001\n\n{unprefixed()}\n"),
        "Bitte den Termin auf Mittwoch verschieben.\nGruß\nPeter Schmidt\nSchmidt & Partner\n"
        "+49 89 1234567",
        sender=Address("Peter Schmidt", "ps@schmidt-partner.example"),
        signature={"phone": "+49891234567", "company": "Schmidt & Partner"}),
    Reply("outlook plain, ru header block", (
        "Договорились.\n\n"
        f"От: {BOB}\nОтправлено: 16 ноября 2026 г. 9:00\nКому: zakaz@petrov.example\n"
        f"Тема: Заказ ORD-10001\n\n{unprefixed()}\n"),
        "Договорились.", sender=Address(None, "zakaz@petrov.example")),
    Reply("ios mail plain, device footer", (
        "Thanks, see you Tuesday.\n\nSent from my iPhone\n\n"
        f"> On Nov 16, 2026, at 9:00 AM, {BOB} wrote:\n>\n{quoted()}\n"),
        "Thanks, see you Tuesday.\nSent from my iPhone"),
    Reply("yandex plain", (
        "Добрый день! Во вторник в 10 удобно.\n\n--\nОльга Смирнова\nМенеджер по закупкам\n"
        "АО «Северные Системы»\n+7 812 555-12-34\n\n"
        f"16.11.2026, 09:00, \"Bob Stone\" <bob@acme-appraisals.example>:\n{quoted()}\n"),
        "Добрый день! Во вторник в 10 удобно.\n--\nОльга Смирнова\nМенеджер по закупкам\n"
        "АО «Северные Системы»\n+7 812 555-12-34",
        sender=Address("Ольга Смирнова", "olga@sever.example"),
        signature={"phone": "+78125551234", "title": "Менеджер по закупкам",
                   "company": "АО «Северные Системы»"}),
    Reply("mail.ru plain", (
        "Хорошо, ждём.\n\n"
        f"Понедельник, 16 ноября 2026, 9:00 +03:00 от {BOB}:\n{quoted()}\n"),
        "Хорошо, ждём.", sender=Address(None, "client@mail.example")),
    Reply("thunderbird plain, en", (
        "Got it, thanks!\n\nBest,\nTom Baker\nBaker Home Inspections\n(303) 555-0188\n\n"
        f"On 11/16/26 9:00 AM, Bob Stone wrote:\n{quoted()}\n"),
        "Got it, thanks!\nBest,\nTom Baker\nBaker Home Inspections\n(303) 555-0188",
        sender=Address("Tom Baker", "tom@baker.example"),
        signature={"phone": "+13035550188", "company": "Baker Home Inspections"}),
    Reply("thunderbird plain, bottom-posted", (
        f"On 11/16/26 9:00 AM, Bob Stone wrote:\n{quoted()}\n\n"
        "Tuesday is fine.\n\n-- \nTom Baker\nBaker Home Inspections\n(303) 555-0188\n"),
        "Tuesday is fine.\n--\nTom Baker\nBaker Home Inspections\n(303) 555-0188",
        sender=Address("Tom Baker", "tom@baker.example"),
        signature={"phone": "+13035550188", "company": "Baker Home Inspections"}),
    Reply("yahoo plain, unprefixed quote", (
        "We can do Tuesday.\n\nSent from Yahoo Mail on Android\n\n"
        "On Monday, November 16, 2026, 09:00:00 AM CST, Bob Stone "
        f"<bob@acme-appraisals.example> wrote:\n\n\n{unprefixed()}\n"),
        "We can do Tuesday.\nSent from Yahoo Mail on Android"),
    Reply("gmail plain, pl attribution", (
        "Wtorek o 10 pasuje.\n\nPozdrawiam,\nPiotr Nowak\nKierownik Biura\n"
        "Nowak Nieruchomości Sp. z o.o.\n+48 22 123 45 67\n\n"
        f"pon., 16 lis 2026 o 09:00 {BOB} napisał(a):\n\n{quoted()}\n"),
        "Wtorek o 10 pasuje.\nPozdrawiam,\nPiotr Nowak\nKierownik Biura\n"
        "Nowak Nieruchomości Sp. z o.o.\n+48 22 123 45 67",
        sender=Address("Piotr Nowak", "piotr@nowak.example"),
        signature={"phone": "+48221234567", "title": "Kierownik Biura",
                   "company": "Nowak Nieruchomości Sp. z o.o."}),
    Reply("gmail plain, sv attribution", (
        "Tisdag kl 10 passar bra.\n\nMed vänliga hälsningar\nErik Larsson\nFastighetsmäklare\n"
        "Larsson Fastigheter AB\n+46 8 123 456 78\n\n"
        f"Den mån 16 nov. 2026 kl 09:00 skrev {BOB}:\n\n{quoted()}\n"),
        "Tisdag kl 10 passar bra.\nMed vänliga hälsningar\nErik Larsson\nFastighetsmäklare\n"
        "Larsson Fastigheter AB\n+46 8 123 456 78",
        sender=Address("Erik Larsson", "erik@larsson.example"),
        signature={"phone": "+46812345678", "title": "Fastighetsmäklare",
                   "company": "Larsson Fastigheter AB"}),
    Reply("apple mail plain, forwarded", (
        "FYI, see below.\n\nBegin forwarded message:\n\n"
        f"From: {BOB}\nSubject: Order ORD-10001\nDate: November 16, 2026 at 9:00:00 AM CST\n"
        f"To: Jane Doe <jane.doe@lender.example>\n\n{unprefixed()}\n"),
        "FYI, see below."),
    Reply("gmail plain, forwarded", (
        "Forwarding for your records.\n\n---------- Forwarded message ---------\n"
        f"From: {BOB}\nDate: Mon, Nov 16, 2026 at 9:00 AM\nSubject: Order ORD-10001\n"
        f"To: Jane Doe <jane.doe@lender.example>\n\n\n{unprefixed()}\n"),
        "Forwarding for your records."),
    Reply("inline answers", (
        "> Could you confirm the inspection date?\nTuesday at 10.\n\n"
        "> Is the gate code still 4471?\nYes.\n\nJane\n"),
        "Tuesday at 10.\nYes.\nJane"),
    Reply("no quote: 'what the inspector wrote:' is the sender's", (
        "Here is what the inspector wrote:\n\nThe roof needs repair before closing.\n\n"
        "Thanks,\nJane\n"),
        "Here is what the inspector wrote:\nThe roof needs repair before closing.\n"
        "Thanks,\nJane"),
    Reply("no quote: a schedule with dates and times", (
        "Schedule for 16.11.2026:\n09:00 arrival\n10:30 walk-through, jane.doe@lender.example "
        "joins at 11:00:\n- kitchen\n- roof\n\nJane\n"),
        "Schedule for 16.11.2026:\n09:00 arrival\n10:30 walk-through, jane.doe@lender.example "
        "joins at 11:00:\n- kitchen\n- roof\nJane"),
    Reply("dashed separator signature", (
        "Sure, send the invoice.\n\n-----\nMark Lee\nOperations Manager\nLee Lending LLC\n"
        f"(415) 555-0134\n\nOn Mon, Nov 16, 2026 at 9:00 AM {BOB} wrote:\n{quoted()}\n"),
        "Sure, send the invoice.\n-----\nMark Lee\nOperations Manager\nLee Lending LLC\n"
        "(415) 555-0134",
        sender=Address("Mark Lee", "mark@leelending.example"),
        signature={"phone": "+14155550134", "title": "Operations Manager",
                   "company": "Lee Lending LLC"}),
    Reply("underscore separator signature", (
        "Here is the signed form.\n\n__________\nNina Patel\nClosing Coordinator\n"
        "Summit Title Co.\n(602) 555-0177\n1 N Central Ave, Phoenix, AZ 85004\n\n"
        f"On Mon, Nov 16, 2026 at 9:00 AM {BOB} wrote:\n{quoted()}\n"),
        "Here is the signed form.\n__________\nNina Patel\nClosing Coordinator\n"
        "Summit Title Co.\n(602) 555-0177\n1 N Central Ave, Phoenix, AZ 85004",
        sender=Address("Nina Patel", "nina@summit.example"),
        signature={"phone": "+16025550177", "title": "Closing Coordinator",
                   "company": "Summit Title Co.",
                   "address": "1 N Central Ave, Phoenix, AZ 85004"}),
    Reply("'Sent via mobile' is no title", (
        "Ok, go ahead.\n\nThanks,\nJoe Smith\nSent via mobile\n\n"
        f"On Mon, Nov 16, 2026 at 9:00 AM {BOB} wrote:\n{quoted()}\n"),
        "Ok, go ahead.\nThanks,\nJoe Smith\nSent via mobile",
        sender=Address("Joe Smith", "joe@smith.example")),
    Reply("device footer under a signature", (
        "Approved.\n\nThanks,\nJoe Smith\nBranch Manager\n(214) 555-0199\n\n"
        f"Sent from my iPhone\n\nOn Nov 16, 2026, at 9:00 AM, {BOB} wrote:\n\n{quoted()}\n"),
        "Approved.\nThanks,\nJoe Smith\nBranch Manager\n(214) 555-0199\nSent from my iPhone",
        sender=Address("Joe Smith", "joe@smith.example"),
        signature={"phone": "+12145550199", "title": "Branch Manager", "company": None}),
    Reply("'Get Outlook for Android' footer", (
        "Noted.\n\nRegards,\nAmy Chen\nChen Realty\n\nGet Outlook for Android\n"
        f"________________________________\nFrom: {BOB}\n"
        "Sent: Monday, November 16, 2026 9:00:00 AM\nTo: Amy Chen <amy@chenrealty.example>\n"
        f"Subject: Order ORD-10001\n\n{unprefixed()}\n"),
        "Noted.\nRegards,\nAmy Chen\nChen Realty\nGet Outlook for Android",
        sender=Address("Amy Chen", "amy@chenrealty.example"),
        signature={"company": "Chen Realty", "title": None}),
    Reply("name-led signature, display name differs", (
        "Attached is the report.\n\nJoe Smith\nCertified Residential Appraiser\n"
        "Smith Appraisal Services LLC\n(512) 555-0111\nlinkedin.com/in/joesmith-appraiser\n\n"
        f"On Mon, Nov 16, 2026 at 9:00 AM {BOB} wrote:\n{quoted()}\n"),
        "Attached is the report.\nJoe Smith\nCertified Residential Appraiser\n"
        "Smith Appraisal Services LLC\n(512) 555-0111\nlinkedin.com/in/joesmith-appraiser",
        sender=Address("Joseph Smith (Smith Appraisal)", "joe@smithappraisal.example"),
        signature={"phone": "+15125550111", "title": "Certified Residential Appraiser",
                   "company": "Smith Appraisal Services LLC",
                   "linkedin_url": "https://www.linkedin.com/in/joesmith-appraiser"}),
    Reply("german phone footer, 'Von meinem iPhone gesendet'", (
        "Ja, bitte.\n\nBeste Grüße\nLena Fischer\nFischer Bau AG\n+49 40 9876543\n\n"
        f"Von meinem iPhone gesendet\n\nAm 16.11.2026 um 09:00 schrieb {BOB}:\n\n{quoted()}\n"),
        "Ja, bitte.\nBeste Grüße\nLena Fischer\nFischer Bau AG\n+49 40 9876543\n"
        "Von meinem iPhone gesendet",
        sender=Address("Lena Fischer", "lena@fischer-bau.example"),
        signature={"phone": "+49409876543", "company": "Fischer Bau AG", "title": None}),
]


GMAIL_SIG = ("<span class=\"gmail_signature_prefix\">-- </span><br><div dir=\"ltr\" "
             "class=\"gmail_signature\" data-smartmail=\"gmail_signature\"><div dir=\"ltr\">"
             "Jane Doe<div>Loan Officer | Lender Bank</div><div>(312) 555-0142</div><div>"
             "<a href=\"https://www.linkedin.com/in/jane-doe-lender\">"
             "linkedin.com/in/jane-doe-lender</a></div></div></div>")
JANE_SIG = {"phone": "+13125550142", "title": "Loan Officer", "company": "Lender Bank",
            "linkedin_url": "https://www.linkedin.com/in/jane-doe-lender"}
OUTLOOK_FROM = (f"<b>From:</b> {BOB_HTML}<br><b>Sent:</b> Monday, November 16, 2026 9:00 AM<br>"
                "<b>To:</b> Jane Doe &lt;jane.doe@lender.example&gt;<br>"
                "<b>Subject:</b> Order ORD-10001")

HTML = [
    Reply("gmail html", (
        "<div dir=\"ltr\">Tuesday at 10 works. I&#39;ll leave the side gate open.<br "
        f"clear=\"all\"><div><br></div>{GMAIL_SIG}</div><br><div class=\"gmail_quote\">"
        "<div dir=\"ltr\" class=\"gmail_attr\">On Mon, Nov 16, 2026 at 9:00 AM "
        f"{BOB_HTML} wrote:<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px 0px "
        "0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">"
        f"{OUR_HTML}</blockquote></div>"),
        "Tuesday at 10 works. I'll leave the side gate open.\n--\nJane Doe\n"
        "Loan Officer | Lender Bank\n(312) 555-0142\nlinkedin.com/in/jane-doe-lender",
        html=True, signature=JANE_SIG),
    Reply("gmail html, es attribution", (
        "<div dir=\"ltr\">De acuerdo, el martes.</div><br><div class=\"gmail_quote "
        "gmail_quote_container\"><div dir=\"ltr\" class=\"gmail_attr\">El lun, 16 nov 2026 a "
        f"las 9:00, {BOB_HTML} escribió:<br></div><blockquote class=\"gmail_quote\">{OUR_HTML}"
        "</blockquote></div>"),
        "De acuerdo, el martes.", html=True),
    Reply("gmail html, forwarded", (
        "<div dir=\"ltr\">Forwarding for your records.<br><br><div class=\"gmail_quote\">"
        "<div dir=\"ltr\" class=\"gmail_attr\">---------- Forwarded message ---------<br>From: "
        "<strong class=\"gmail_sendername\" dir=\"auto\">Bob Stone</strong> <span dir=\"auto\">"
        "&lt;bob@acme-appraisals.example&gt;</span><br>Date: Mon, Nov 16, 2026 at 9:00 AM<br>"
        "Subject: Order ORD-10001<br>To: &lt;jane.doe@lender.example&gt;<br></div><br><br>"
        f"{OUR_HTML}</div></div>"),
        "Forwarding for your records.", html=True),
    Reply("outlook 2016 html", (
        OUTLOOK_HEAD + mso("Confirmed, Tuesday at 10.", "", "Kind regards,", "<b>Jane Doe</b>",
                           "Senior Processor | Lender Bank", "Direct: 312-555-0142", "") +
        "<div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in "
        f"0in'><p class=MsoNormal>{OUTLOOK_FROM}<o:p></o:p></p></div></div>" + mso("") +
        OUR_MSO + "</div></body></html>"),
        "Confirmed, Tuesday at 10.\nKind regards,\nJane Doe\nSenior Processor | Lender Bank\n"
        "Direct: 312-555-0142", html=True,
        signature={"phone": "+13125550142", "title": "Senior Processor",
                   "company": "Lender Bank"}),
    Reply("outlook 2010 html, de", (
        OUTLOOK_HEAD + mso("Passt, Dienstag um 10 Uhr.", "", "Mit freundlichen Grüßen",
                           "Hans Müller", "Geschäftsführer", "Müller Immobilien GmbH",
                           "Tel.: +49 30 1234567", "") +
        "<div style='border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
        "<p class=MsoNormal><b><span style='font-size:10.0pt;font-family:\"Tahoma\",\"sans-serif"
        "\"'>Von:</span></b><span style='font-size:10.0pt'> Bob Stone [mailto:bob@acme-apprais"
        "als.example] <br><b>Gesendet:</b> Montag, 16. November 2026 09:00<br><b>An:</b> Hans "
        "Müller<br><b>Betreff:</b> Auftrag ORD-10001<o:p></o:p></span></p></div>" + mso("") +
        OUR_MSO + "</div></body></html>"),
        "Passt, Dienstag um 10 Uhr.\nMit freundlichen Grüßen\nHans Müller\nGeschäftsführer\n"
        "Müller Immobilien GmbH\nTel.: +49 30 1234567", html=True,
        sender=Address("Hans Müller", "hans@mueller-immobilien.example"),
        signature={"phone": "+49301234567", "title": "Geschäftsführer",
                   "company": "Müller Immobilien GmbH"}),
    Reply("outlook 365 html (OWA), mobile footer", (
        "<html><body><div style=\"font-family: Calibri, Arial; font-size: 12pt;\">Received, "
        "thank you.</div><div id=\"ms-outlook-mobile-signature\"><div dir=\"ltr\">Get <a href="
        "\"https://aka.ms/o0ukef\">Outlook for iOS</a></div></div><div id=\"appendonsend\">"
        "</div><hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwd"
        "Msg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" style=\"font-size:11pt\" color=\""
        f"#000000\">{OUTLOOK_FROM}</font><div>&nbsp;</div></div><div>{OUR_HTML}</div>"
        "</body></html>"),
        "Received, thank you.\nGet Outlook for iOS", html=True),
    Reply("outlook 365 html, fr", (
        "<html><body><div>Bonjour,</div><div>C'est noté pour mardi.</div><div>Cordialement,"
        "</div><div>Claire Dubois</div><div>Dubois Expertises SARL</div>"
        "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"x_divRplyFwdMsg"
        f"\" dir=\"ltr\"><font><b>De :</b> {BOB_HTML}<br><b>Envoyé :</b> lundi 16 novembre 2026 "
        "09:00<br><b>À :</b> Claire Dubois<br><b>Objet :</b> Commande ORD-10001</font></div>"
        f"<div>{OUR_HTML}</div></body></html>"),
        "Bonjour,\nC'est noté pour mardi.\nCordialement,\nClaire Dubois\nDubois Expertises SARL",
        html=True, sender=Address("Claire Dubois", "claire@dubois.example"),
        signature={"company": "Dubois Expertises SARL", "title": None}),
    Reply("new outlook html, reference container", (
        "<html><body><div>Sounds good.</div><div><br></div><div>Dana White</div>"
        "<div>Escrow Officer</div><div>(713) 555-0123</div><div id=\"mail-editor-reference-"
        "message-container\"><div class=\"ms-outlook-mobile-reference-message\" style=\"border-"
        f"top:solid #B5C4DF 1pt\">{OUTLOOK_FROM}</div>{OUR_HTML}</div></body></html>"),
        "Sounds good.\nDana White\nEscrow Officer\n(713) 555-0123", html=True,
        sender=Address("Dana White", "dana@escrow.example"),
        signature={"phone": "+17135550123", "title": "Escrow Officer"}),
    Reply("outlook 2003 html", (
        "<html><body><div dir=ltr align=left><span class=981161309-16112026><font face=Arial "
        "color=#0000ff size=2>Received, thanks.</font></span></div><div dir=ltr align=left>"
        "<span><font face=Arial color=#0000ff size=2>Peter Hall</font></span></div><div dir=ltr"
        " align=left><span><font face=Arial color=#0000ff size=2>Hall Realty Inc.</font>"
        "</span></div><br><div class=OutlookMessageHeader lang=en-us dir=ltr align=left><hr "
        "tabindex=-1><font face=Tahoma size=2><b>From:</b> Bob Stone [mailto:bob@acme-"
        "appraisals.example] <br><b>Sent:</b> Monday, November 16, 2026 9:00 AM<br><b>To:</b> "
        "Peter Hall<br><b>Subject:</b> Order ORD-10001<br></font><br></div><div></div>"
        f"{OUR_HTML}</body></html>"),
        "Received, thanks.\nPeter Hall\nHall Realty Inc.", html=True,
        sender=Address("Peter Hall", "peter@hall.example"),
        signature={"company": "Hall Realty Inc.", "title": None}),
    Reply("outlook express html, Original Message in a blockquote", (
        "<HTML><BODY><DIV><FONT face=Arial size=2>Received, we'll be there.</FONT></DIV>"
        "<DIV><FONT face=Arial size=2>Peter</FONT></DIV><BLOCKQUOTE dir=ltr style=\"PADDING-"
        "RIGHT: 0px; PADDING-LEFT: 5px; MARGIN-LEFT: 5px; BORDER-LEFT: #000000 2px solid; "
        "MARGIN-RIGHT: 0px\"><DIV style=\"FONT: 10pt arial\">----- Original Message ----- </DIV>"
        "<DIV style=\"BACKGROUND: #e4e4e4; FONT: 10pt arial; font-color: black\"><B>From:</B> "
        "<A title=bob@acme-appraisals.example href=\"mailto:bob@acme-appraisals.example\">Bob "
        "Stone</A> </DIV><DIV style=\"FONT: 10pt arial\"><B>Sent:</B> Monday, November 16, 2026 "
        "9:00 AM</DIV><DIV style=\"FONT: 10pt arial\"><B>Subject:</B> Order ORD-10001</DIV>"
        f"<DIV><BR></DIV>{OUR_HTML}</BLOCKQUOTE></BODY></HTML>"),
        "Received, we'll be there.\nPeter", html=True,
        sender=Address("Peter Hall", "peter@hall.example")),
    Reply("apple mail html (macOS)", (
        "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">"
        "</head><body style=\"word-wrap: break-word;\"><div>Got it, thanks!</div><div><br>"
        "</div><div>Best,<br>Tom Baker<br>Baker Home Inspections<br>(303) 555-0188</div><div>"
        "<br><blockquote type=\"cite\"><div>On Nov 16, 2026, at 9:00 AM, Bob Stone &lt;bob@acme"
        "-appraisals.example&gt; wrote:</div><br class=\"Apple-interchange-newline\"><div>"
        f"{OUR_HTML}</div></blockquote></div><br></body></html>"),
        "Got it, thanks!\nBest,\nTom Baker\nBaker Home Inspections\n(303) 555-0188", html=True,
        sender=Address("Tom Baker", "tom@baker.example"),
        signature={"phone": "+13035550188", "company": "Baker Home Inspections"}),
    Reply("ios mail html, attribution outside the quote", (
        "<html><body dir=\"auto\"><div dir=\"ltr\">Thanks, see you Tuesday.</div><div dir=\"ltr"
        "\"><br><div dir=\"ltr\">Sent from my iPhone</div><div dir=\"ltr\"><br>On Nov 16, 2026, "
        f"at 9:00 AM, {BOB_HTML} wrote:<br><br></div><blockquote type=\"cite\"><div dir=\"ltr\">"
        f"{OUR_HTML}</div></blockquote></div></body></html>"),
        "Thanks, see you Tuesday.\nSent from my iPhone", html=True),
    Reply("thunderbird html", (
        "<html><body><p>Danke, der Termin passt.</p><p>Viele Grüße<br>Klaus Weber<br>Weber "
        "Hausverwaltung GmbH</p><div class=\"moz-cite-prefix\">Am 16.11.2026 um 09:00 schrieb "
        "Bob Stone:<br></div><blockquote type=\"cite\" cite=\"mid:out-1@acme-appraisals.example"
        f"\">{OUR_HTML}</blockquote></body></html>"),
        "Danke, der Termin passt.\nViele Grüße\nKlaus Weber\nWeber Hausverwaltung GmbH",
        html=True, sender=Address("Klaus Weber", "klaus@weber-hv.example"),
        signature={"company": "Weber Hausverwaltung GmbH"}),
    Reply("thunderbird html, bottom-posted", (
        "<html><body><div class=\"moz-cite-prefix\">On 11/16/26 9:00 AM, Bob Stone wrote:<br>"
        f"</div><blockquote type=\"cite\" cite=\"mid:out-1@acme-appraisals.example\">{OUR_HTML}"
        "</blockquote><p>Tuesday is fine.</p><pre class=\"moz-signature\" cols=\"72\">-- \n"
        "Tom Baker\nBaker Home Inspections\n(303) 555-0188</pre></body></html>"),
        "Tuesday is fine.\n--\nTom Baker\nBaker Home Inspections\n(303) 555-0188", html=True,
        sender=Address("Tom Baker", "tom@baker.example"),
        signature={"phone": "+13035550188", "company": "Baker Home Inspections"}),
    Reply("yahoo html", (
        "<html><head></head><body><div class=\"ydp3e1d2c1fyahoo-style-wrap\" style=\"font-"
        "family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;\"><div></div>"
        "<div dir=\"ltr\" data-setdir=\"false\">We can do Tuesday at 10.</div><div dir=\"ltr\" "
        "data-setdir=\"false\"><br></div><div dir=\"ltr\" data-setdir=\"false\">Sam Reed</div>"
        "<div dir=\"ltr\" data-setdir=\"false\">Reed Realty Group</div><div dir=\"ltr\" "
        "data-setdir=\"false\">(702) 555-0161</div></div><div id=\"ydp1c2f4e5ayahoo_quoted_"
        "1234567890\" class=\"ydp1c2f4e5ayahoo_quoted\"><div style=\"font-family:'Helvetica "
        "Neue', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;\"><div>On Monday, "
        "November 16, 2026, 09:00:00 AM CST, Bob Stone &lt;bob@acme-appraisals.example&gt; "
        "wrote:</div><div><br></div><div><br></div><div><div id=\"ydp7a8b9yiv1234\">"
        f"{OUR_HTML}</div></div></div></div></body></html>"),
        "We can do Tuesday at 10.\nSam Reed\nReed Realty Group\n(702) 555-0161", html=True,
        sender=Address("Sam Reed", "sam.reed@yahoo.example"),
        signature={"phone": "+17025550161", "company": "Reed Realty Group"}),
    Reply("yahoo classic html", (
        "<html><body><div style=\"color:#000; background-color:#fff;\"><div>Fine by me.</div>"
        "<div class=\"yahoo_quoted\" style=\"display: block;\"><div style=\"font-family: "
        "HelveticaNeue;\"><div dir=\"ltr\"><font size=\"2\" face=\"Arial\">On Monday, November "
        "16, 2026 9:00 AM, Bob Stone &lt;bob@acme-appraisals.example&gt; wrote:<br></font>"
        f"</div><br><br><div class=\"y_msg_container\">{OUR_HTML}</div></div></div></div>"
        "</body></html>"),
        "Fine by me.", html=True),
    Reply("mail.ru html", (
        "<HTML><BODY><div>Хорошо, во вторник в 10 удобно.</div><div>&nbsp;</div><div data-"
        "signature-widget=\"container\"><div data-signature-widget=\"content\"><div>--<br>"
        "Алексей Иванов<br>Руководитель отдела продаж<br>ООО «Иванов и партнёры»<br>+7 (495) "
        "123-45-67</div></div></div><div>&nbsp;</div><div>&nbsp;</div><br>Понедельник, 16 ноября"
        " 2026, 9:00 +03:00 от Bob Stone &lt;bob@acme-appraisals.example&gt;:<br><blockquote "
        "style=\"border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;\"><div id=\"\">"
        "<div class=\"js-helper js-readmsg-msg\"><style></style><div><base target=\"_self\" "
        f"href=\"https://e.mail.ru/\"><div id=\"style_16_BODY\">{OUR_HTML}</div></div></div>"
        "</div></blockquote></BODY></HTML>"),
        "Хорошо, во вторник в 10 удобно.\n--\nАлексей Иванов\nРуководитель отдела продаж\n"
        "ООО «Иванов и партнёры»\n+7 (495) 123-45-67", html=True,
        sender=Address("Алексей Иванов", "ivanov@mail.example"),
        signature={"phone": "+74951234567", "title": "Руководитель отдела продаж",
                   "company": "ООО «Иванов и партнёры»"}),
    Reply("mail.ru html, quote marked by attributes", (
        "<HTML><BODY><div>Получили, спасибо.</div><div>&nbsp;</div><div>&nbsp;</div>"
        "<blockquote data-mailru-quote=\"1\"><div>Понедельник, 16 ноября 2026, 9:00 +03:00 от "
        f"Bob Stone:</div><div class=\"js-helper js-readmsg-msg\">{OUR_HTML}</div></blockquote>"
        "</BODY></HTML>"),
        "Получили, спасибо.", html=True, sender=Address(None, "client@mail.example")),
    Reply("yandex html", (
        "<div>Добрый день!</div><div>Во вторник в 10 удобно.</div><div> </div><div>-- </div>"
        "<div>С уважением,</div><div>Ольга Смирнова</div><div>Менеджер по закупкам</div><div>АО"
        " «Северные Системы»</div><div>+7 812 555-12-34</div><div> </div><div>16.11.2026, 09:00,"
        " \"Bob Stone\" &lt;bob@acme-appraisals.example&gt;:</div><blockquote>"
        f"{OUR_HTML}</blockquote>"),
        "Добрый день!\nВо вторник в 10 удобно.\n--\nС уважением,\nОльга Смирнова\n"
        "Менеджер по закупкам\nАО «Северные Системы»\n+7 812 555-12-34", html=True,
        sender=Address("Ольга Смирнова", "olga@sever.example"),
        signature={"phone": "+78125551234", "title": "Менеджер по закупкам",
                   "company": "АО «Северные Системы»"}),
    Reply("windows mail html (Windows 10)", (
        OUTLOOK_HEAD + mso("Received, we will send the deposit today.", "", "Kim Lee",
                           "Lee Property Management", "(206) 555-0190", "",
                           "Sent from <a href=\"https://go.microsoft.com/fwlink/?LinkId=550986\">"
                           "Mail</a> for Windows 10", "") +
        "<div style='mso-element:para-border-div;border:none;border-top:solid #E1E1E1 1.0pt;"
        "padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal style='border:none;padding:0cm'><b>From: "
        "</b><a href=\"mailto:bob@acme-appraisals.example\">Bob Stone</a><br><b>Sent: </b>Monday"
        ", November 16, 2026 9:00 AM<br><b>To: </b><a href=\"mailto:kim@lee-pm.example\">Kim "
        "Lee</a><br><b>Subject: </b>Order ORD-10001</p></div>" + mso("") + OUR_MSO +
        "</div></body></html>"),
        "Received, we will send the deposit today.\nKim Lee\nLee Property Management\n"
        "(206) 555-0190\nSent from Mail for Windows 10", html=True,
        sender=Address("Kim Lee", "kim@lee-pm.example"),
        signature={"phone": "+12065550190", "company": "Lee Property Management"}),
    Reply("windows live mail html", (
        "<DIV dir=ltr><DIV style=\"FONT-SIZE: 12pt; FONT-FAMILY: 'Calibri'; COLOR: #000000\">"
        "<DIV>Thanks, Tuesday works.</DIV><DIV>&nbsp;</DIV><DIV>Kim Lee</DIV><DIV>Lee Property "
        "Management</DIV><DIV>(206) 555-0190</DIV><DIV style=\"FONT-SIZE: small; FONT-FAMILY: "
        "&quot;Calibri&quot;; COLOR: #000000; DISPLAY: inline\"><DIV style=\"FONT: 10pt tahoma\">"
        "<DIV>&nbsp;</DIV><DIV style=\"BACKGROUND: #f5f5f5\"><DIV style=\"font-color: black\">"
        "<B>From:</B> <A title=bob@acme-appraisals.example href=\"mailto:bob@acme-appraisals."
        "example\">Bob Stone</A> </DIV><DIV><B>Sent:</B> Monday, November 16, 2026 9:00 AM</DIV>"
        "<DIV><B>To:</B> <A title=kim@lee-pm.example href=\"mailto:kim@lee-pm.example\">Kim Lee"
        "</A> </DIV><DIV><B>Subject:</B> Order ORD-10001</DIV></DIV></DIV><DIV>&nbsp;</DIV>"
        f"</DIV><DIV>{OUR_HTML}</DIV></DIV></DIV>"),
        "Thanks, Tuesday works.\nKim Lee\nLee Property Management\n(206) 555-0190", html=True,
        sender=Address("Kim Lee", "kim@lee-pm.example"),
        signature={"phone": "+12065550190", "company": "Lee Property Management"}),
    Reply("protonmail html", (
        "<div style=\"font-family: Arial;\">Confirmed.</div><div style=\"font-family: Arial;\">"
        "<br></div><div class=\"protonmail_signature_block\"><div>Sent with Proton Mail secure "
        "email.</div></div><div class=\"protonmail_quote\">On Monday, November 16th, 2026 at 9:00"
        " AM, Bob Stone &lt;bob@acme-appraisals.example&gt; wrote:<br><blockquote class=\""
        f"protonmail_quote\" type=\"cite\">{OUR_HTML}</blockquote></div>"),
        "Confirmed.\nSent with Proton Mail secure email.", html=True),
    Reply("html without a reply: a quoted clause stays", (
        "<p>Here is the clause from the contract:</p><blockquote>The buyer pays the appraisal "
        "fee.</blockquote><p>Is that right?</p><p>Jane</p>"),
        "Here is the clause from the contract:\nThe buyer pays the appraisal fee.\n"
        "Is that right?\nJane", html=True),
]

OK = "Tuesday at 10 is fine."
MORE = [
    Reply("gmail plain of an outlook reply, starred labels", (
        f"{OK}\n\n*From:* {BOB}\n*Sent:* Monday, November 16, 2026 9:00 AM\n*To:* Jane Doe\n"
        f"*Subject:* Order ORD-10001\n\n{unprefixed()}\n"), OK),
    Reply("gmail plain, da attribution", (
        f"{OK}\n\nDen man. 16. nov. 2026 kl. 09.00 skrev {BOB}:\n\n{quoted()}\n"), OK),
    Reply("gmail plain, ja attribution",
          f"{OK}\n\n2026年11月16日(月) 9:00 {BOB}:\n\n{quoted()}\n", OK),
    Reply("gmail plain, cs attribution", (
        f"{OK}\n\npo 16. 11. 2026 v 9:00 odesílatel {BOB} napsal:\n\n{quoted()}\n"), OK),
    Reply("apple mail plain, fr attribution inside the quote", (
        f"{OK}\n\n> Le 16 nov. 2026 à 09:00, {BOB} a écrit :\n>\n{quoted()}\n"), OK),
    Reply("outlook for mac plain, indented quote", (
        f"{OK}\n\nOn 11/16/26, 9:00 AM, \"Bob Stone\" <bob@acme-appraisals.example> wrote:\n\n" +
        "\n".join(f"    {line}" for line in unprefixed().splitlines()) + "\n"), OK),
    Reply("outlook plain, fr header with no-break spaces", (
        f"{OK}\n\nDe\u00a0: {BOB}\nEnvoyé\u00a0: lundi 16 novembre 2026 09:00\nÀ\u00a0: Claire\n"
        f"Objet\u00a0: Commande ORD-10001\n\n{unprefixed()}\n"), OK),
    Reply("outlook plain, es header block", (
        f"{OK}\n\nDe: {BOB}\nEnviado: lunes, 16 de noviembre de 2026 9:00\nPara: Carlos\n"
        f"Asunto: Pedido ORD-10001\n\n{unprefixed()}\n"), OK),
    Reply("outlook plain, it header block", (
        f"{OK}\n\nDa: {BOB}\nInviato: lunedì 16 novembre 2026 09:00\nA: Marco\n"
        f"Oggetto: Ordine ORD-10001\n\n{unprefixed()}\n"), OK),
    Reply("outlook plain, pt header block", (
        f"{OK}\n\nDe: {BOB}\nEnviada em: segunda-feira, 16 de novembro de 2026 09:00\n"
        f"Para: Ana\nAssunto: Pedido ORD-10001\n\n{unprefixed()}\n"), OK),
    Reply("samsung email html", (
        f"<div>{OK}</div><div id=\"composer_signature\">Sent from my Galaxy</div><div style=\""
        "font-size:100%;color:#000000\"><div>-------- Original message --------</div><div>From: "
        "Bob Stone &lt;bob@acme-appraisals.example&gt; </div><div>Date: 11/16/26 9:00 AM (GMT-06"
        ":00) </div><div>To: Jane</div><div>Subject: Order ORD-10001</div><div><br></div></div>"
        f"{OUR_HTML}"), f"{OK}\nSent from my Galaxy", html=True),
    Reply("gmail html, tr attribution", (
        f"<div dir=\"ltr\">{OK}</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\""
        f"gmail_attr\">{BOB_HTML}, 16 Kas 2026 Pzt, 09:00 tarihinde şunu yazdı:<br></div>"
        f"<blockquote class=\"gmail_quote\">{OUR_HTML}</blockquote></div>"), OK, html=True),
    Reply("aol html", (
        f"<div>{OK}</div><div><br></div><div>-----Original Message-----<br>From: Bob Stone &lt;"
        "bob@acme-appraisals.example&gt;<br>To: jane<br>Sent: Mon, Nov 16, 2026 9:00 am<br>"
        f"Subject: Order ORD-10001<br><br><div id=\"AOLMsgPart_1\">{OUR_HTML}</div></div>"),
        OK, html=True),
    Reply("zoho html", (
        f"<div>{OK}<br></div><div class=\"zmail_extra_hr\"><br></div><div class=\"zmail_extra\" "
        "data-zbluepencil-ignore=\"true\"><div><br></div><div id=\"Zm-_Id_-Sgn1\">---- On Mon, 16 "
        "Nov 2026 09:00:00 -0600 <b>Bob Stone &lt;bob@acme-appraisals.example&gt;</b> wrote ---"
        f"<br></div><div><br></div><blockquote style=\"margin: 0px;\">{OUR_HTML}</blockquote>"
        "</div>"), OK, html=True),
]

CASES = PLAIN + HTML + MORE
