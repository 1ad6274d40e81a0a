"""Signature blocks: contact details found, quoted text ignored."""

from __future__ import annotations

import pytest

from agent.mail.model import Address
from agent.mail.quotes import unquoted
from agent.mail.signatures import extract_signature, own_words

MARIA = Address("Maria Gonzalez", "maria@lonestar.example")


def test_dash_delimited_pipe_signature() -> None:
    body = ("Thanks for the update.\n\n-- \nJanet Long\nEscrow Officer | Christian Title & Escrow\n"
            "Direct: (542) 997-2754\nhttps://www.linkedin.com/in/janet-long\n\n"
            "> Checking in: a quick note from Acme Appraisals.\n")
    info = extract_signature(body, Address("Janet Long", "janet@x.example"))
    assert info is not None
    assert info.phone == "+15429972754"
    assert info.title == "Escrow Officer"
    assert info.company == "Christian Title & Escrow"
    assert info.linkedin_url == "https://www.linkedin.com/in/janet-long"
    assert info.address is None
    assert info.evidence.startswith("Janet Long\nEscrow Officer")
    assert "Checking in" not in info.evidence


def test_disclaimer_under_the_signature_is_ignored() -> None:
    disclaimer = ("CONFIDENTIALITY NOTICE: This message and any attachments are for the named "
                  "recipient only and may contain privileged information of Big Bank Inc.")
    body = f"Noted.\n\n--\nAl Green\nBig Bank\n\n{disclaimer}\n"
    info = extract_signature(body, Address("Al Green", "al@bigbank.example"))
    assert info is not None and info.company == "Big Bank"
    assert "CONFIDENTIALITY" not in info.evidence


def test_sign_off_signature_with_address_and_fax() -> None:
    body = ("Sounds good, see you then.\n\nBest regards,\nMaria Gonzalez\n"
            "Chief Appraiser, Lone Star Appraisal LLC\n1200 Congress Ave, Suite 300\n"
            "Austin, TX 78701\nFax: 512-555-0199 | Cell: 512.555.0147\n"
            "linkedin.com/in/mariagonzalez/\n")
    info = extract_signature(body, MARIA)
    assert info is not None
    assert info.phone == "+15125550147"  # the fax number is skipped
    assert info.title == "Chief Appraiser"
    assert info.company == "Lone Star Appraisal LLC"
    assert info.address == "1200 Congress Ave, Suite 300, Austin, TX 78701"
    assert info.linkedin_url == "https://www.linkedin.com/in/mariagonzalez"


@pytest.mark.parametrize("written, e164", [
    ("(212) 555-0187", "+12125550187"), ("212.555.0187", "+12125550187"),
    ("+1 212 555 0187", "+12125550187"), ("1-212-555-0187 ext. 12", "+12125550187"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_formats(written: str, e164: str) -> None:
    info = extract_signature(f"Please confirm.\n\nThanks,\nBob Stone\nOffice: {written}\n", None)
    assert info is not None and info.phone == e164


def test_title_on_the_line_after_the_name() -> None:
    body = "Got it.\n\nCheers,\nTom Baker\nHead Honcho\nBaker Home Inspections\n(303) 555-0188\n"
    info = extract_signature(body, Address("Tom Baker", "tom@baker.example"))
    assert info is not None
    assert (info.title, info.company, info.phone) == ("Head Honcho", "Baker Home Inspections",
                                                      "+13035550188")


def test_title_word_line_and_comma_title() -> None:
    body = "Ok.\n\nThanks,\nBob\nVP, Sales\nwww.bobco.example\n"
    info = extract_signature(body, None)
    assert info is not None and info.title == "VP, Sales" and info.company is None


def test_name_started_block_without_sign_off() -> None:
    body = "See the file attached.\n\nRita Moreno\nSenior Underwriter\nFirst Harbor Bank\n"
    info = extract_signature(body, Address("Rita Moreno", "rita@harbor.example"))
    assert info is not None
    assert (info.title, info.company) == ("Senior Underwriter", "First Harbor Bank")


def test_signature_inside_quoted_reply_is_not_the_senders() -> None:
    body = ("Sounds good.\n\nOn Mon, Nov 16, 2026 at 9:00 AM Jane Doe <jane@x.example>\n"
            "wrote:\n> Thanks,\n> Jane Doe\n> Loan Officer | ABC Bank\n> (212) 555-0100\n")
    assert extract_signature(body, Address("Bob Stone", "bob@y.example")) is None


def test_outlook_original_message_is_not_the_senders() -> None:
    body = ("Ok, will do\n\n-----Original Message-----\nFrom: Jane Doe\nSent: Monday\n"
            "Subject: Order\n\nThanks,\nJane Doe\nLoan Officer\n212-555-0100\n")
    assert extract_signature(body, None) is None


def test_outlook_header_block_is_not_the_senders() -> None:
    body = ("Confirmed.\n\n________________________________\nFrom: Jane Doe <jane@x.example>\n"
            "Sent: Monday, November 16, 2026 9:00 AM\nTo: Bob\n\nRegards,\nJane Doe\n"
            "Processor, ABC Mortgage\n(212) 555-0100\n")
    assert extract_signature(body, None) is None


@pytest.mark.parametrize("body", [
    "Hello there, how are you?\n\nThanks,\nSam\n",
    "No signature in this message at all.",
    "",
])
def test_nothing_found_is_none(body: str) -> None:
    assert extract_signature(body, None) is None


def test_unquoted_and_own_words() -> None:
    text = "New text\n> old text\n\n-- \nSig line\n"
    assert unquoted(text) == "New text\n\n-- \nSig line"
    assert own_words(text) == "New text"


@pytest.mark.parametrize("sign_off", [
    "At your service,", "Best wishes,", "Mit freundlichen Grüßen", "Viele Grüße", "Cordialement,",
    "Bien à vous,", "Saludos,", "Un saludo,", "Met vriendelijke groet,", "Cordiali saluti",
    "Atenciosamente,", "С уважением,", "Pozdrawiam,", "Med vänliga hälsningar",
])
def test_sign_offs_in_several_languages(sign_off: str) -> None:
    body = f"Ok.\n\n{sign_off}\nAnna Berg\nBerg Consulting GmbH\n+49 30 1234567\n"
    info = extract_signature(body, Address("Anna Berg", "anna@berg.example"))
    assert info is not None
    assert (info.company, info.phone) == ("Berg Consulting GmbH", "+49301234567")


@pytest.mark.parametrize("separator", ["-----", "________", "=====", "---"])
def test_dashed_separator_starts_the_signature(separator: str) -> None:
    body = f"Sure.\n\n{separator}\nMark Lee\nOperations Manager\nLee Lending LLC\n(415) 555-0134\n"
    info = extract_signature(body, None)
    assert info is not None
    assert (info.title, info.company, info.phone) == ("Operations Manager", "Lee Lending LLC",
                                                      "+14155550134")


@pytest.mark.parametrize("footer", [
    "Sent via mobile", "Sent from my iPhone", "Sent from my Samsung Galaxy smartphone.",
    "Get Outlook for Android", "Sent from Mail for Windows", "Von meinem iPhone gesendet",
    "Envoyé de mon iPhone", "Enviado desde mi iPhone", "Verzonden vanaf mijn iPhone",
    "Inviato da iPhone", "Отправлено с iPhone",
])
def test_device_footers_are_no_signature(footer: str) -> None:
    joe = Address("Joe Smith", "joe@smith.example")
    assert extract_signature(f"Ok.\n\nThanks,\nJoe Smith\n{footer}\n", joe) is None
    info = extract_signature(f"Ok.\n\nThanks,\nJoe Smith\n{footer}\n(214) 555-0199\n", joe)
    assert info is not None and info.title is None and info.phone == "+12145550199"


@pytest.mark.parametrize("line", [
    "Friedrichstraße 123, 10117 Berlin", "12 rue de la Paix, 75002 Paris",
    "Calle Mayor 10, 28013 Madrid", "Keizersgracht 123, 1015 Amsterdam",
])
def test_european_addresses(line: str) -> None:
    info = extract_signature(f"Ok.\n\nGruß\nLena Fischer\nFischer Bau AG\n{line}\n", None)
    assert info is not None and info.address == line and info.company == "Fischer Bau AG"


def test_name_led_signature_found_with_no_blank_line_above() -> None:
    """HTML turns each line into its own block: no paragraph tells where the signature starts."""
    body = "Received, thanks.\nPeter Hall\nHall Realty Inc.\n(312) 555-0150\n"
    info = extract_signature(body, Address("Peter Hall", "peter@hall.example"))
    assert info is not None and info.company == "Hall Realty Inc." and info.title is None


def test_own_words_keep_an_answer_below_the_quote() -> None:
    text = "On Mon, Nov 16, 2026 Bob <bob@x.example> wrote:\n> old\n\nNew answer\n-- \nSig\n"
    assert own_words(text) == "New answer"
