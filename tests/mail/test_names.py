"""Display names split into first/last/full, and the contact merge rule."""

from __future__ import annotations

import pytest

from agent.mail.names import merge_contact, split_name


@pytest.mark.parametrize("display, email, expected", [
    ("John Smith", "x@y.example", ("John", "Smith", "John Smith")),
    ("Smith, John", "x@y.example", ("John", "Smith", "John Smith")),
    ('"Doe, Jane Q."', "x@y.example", ("Jane", "Doe", "Jane Q. Doe")),
    ("Dr. Jane Doe", "x@y.example", ("Jane", "Doe", "Jane Doe")),
    ("Mr. O'Neil", "x@y.example", (None, "O'Neil", "O'Neil")),
    ("John Smith Jr.", "x@y.example", ("John", "Smith", "John Smith Jr.")),
    ("Smith, John, III", "x@y.example", ("John", "Smith", "John Smith III")),
    ("Maria Gonzalez, MAI", "x@y.example", ("Maria", "Gonzalez", "Maria Gonzalez MAI")),
    ("JOHN SMITH", "x@y.example", ("John", "Smith", "John Smith")),
    ("Ludwig van Beethoven", "x@y.example", ("Ludwig", "van Beethoven", "Ludwig van Beethoven")),
    ("Cher", "x@y.example", ("Cher", None, "Cher")),
    ("Jane Doe (Acme)", "x@y.example", ("Jane", "Doe", "Jane Doe")),
    ("René Dupont", "x@y.example", ("René", "Dupont", "René Dupont")),
    (None, "john.smith@x.example", ("John", "Smith", "John Smith")),
    ("", "mary_o'brien2@x.example", ("Mary", "O'Brien", "Mary O'Brien")),
    ("  ", "jane-doe+news@x.example", ("Jane", "Doe", "Jane Doe")),
    ("jane.doe@x.example", "jane.doe@x.example", ("Jane", "Doe", "Jane Doe")),
    (None, "jsmith@x.example", (None, None, None)),
    (None, "info@x.example", (None, None, None)),
    ("Acme Appraisals", "info@acme.example", (None, None, None)),
    ("Mail Delivery System", "mailer-daemon@x.example", (None, None, None)),
])
def test_split_name(display: str | None, email: str,
                    expected: tuple[str | None, str | None, str | None]) -> None:
    assert split_name(display, email) == expected


def test_display_name_wins_over_the_address() -> None:
    assert split_name("Bob Stone", "john.smith@x.example") == ("Bob", "Stone", "Bob Stone")


def test_merge_fills_empty_fields_and_records_the_source() -> None:
    updates, provenance = merge_contact(
        {"phone": None, "title": "", "company": "Acme"}, {"phone": "+15125550100", "title": "VP"},
        {"company": "signature"}, "signature")
    assert updates == {"phone": "+15125550100", "title": "VP"}
    assert provenance == {"company": "signature", "phone": "signature", "title": "signature"}


def test_merge_never_overwrites_manual_fields() -> None:
    current = {"title": "Owner", "phone": None}
    updates, provenance = merge_contact(current, {"title": "Manager", "phone": "+15125550100"},
                                        {"title": "manual", "phone": "manual"}, "signature")
    assert updates == {} and provenance == {"title": "manual", "phone": "manual"}


def test_merge_refreshes_automatic_fields() -> None:
    updates, provenance = merge_contact({"title": "Loan Officer"}, {"title": "Branch Manager"},
                                        {"title": "signature"}, "header")
    assert updates == {"title": "Branch Manager"} and provenance == {"title": "header"}


def test_merge_keeps_filled_fields_of_unknown_origin() -> None:
    updates, provenance = merge_contact({"company": "Typed By Hand"}, {"company": "Other"}, {},
                                        "signature")
    assert updates == {} and provenance == {}


def test_merge_ignores_empty_and_unchanged_values() -> None:
    updates, provenance = merge_contact({"title": "VP"}, {"title": "VP", "phone": "", "x": None},
                                        {"title": "signature"}, "header")
    assert updates == {} and provenance == {"title": "signature"}


def test_merge_manual_source_always_applies_and_inputs_are_not_mutated() -> None:
    current, found, provenance = {"title": "VP"}, {"title": "CEO"}, {"title": "manual"}
    updates, new = merge_contact(current, found, provenance, "manual")
    assert updates == {"title": "CEO"} and new == {"title": "manual"}
    assert current == {"title": "VP"} and provenance == {"title": "manual"}
