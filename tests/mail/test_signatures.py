"""Signature blocks: contact details found, quoted text ignored."""

from __future__ import annotations

import pytest

from agent.mail.model import Address
from agent.mail.signatures import extract_signature, own_words, unquoted

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
