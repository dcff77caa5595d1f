"""Indonesian phone numbers as people write them, to E.164 and back to the national format.

People write the same line many ways — `0285 421112`, `(0285) 421112`,
`+62 285 421112`, `0812-3456-7890` — and only one E.164 form may be stored,
or the platform-wide uniqueness of 112 lines would be fooled by a space.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

REGION = "ID"
COUNTRY_CODE = 62
MAX_INPUT = 40  # longer than any written form of a number with separators; bounds the parser's work


class InvalidNumber(ValueError):
    """Text that is not a valid Indonesian phone number; the message (English, for the API) says what to
    write instead, `reason` lets a page say it in the reader's language."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


HOW_TO_WRITE = "Write it as 0285 421112, (0285) 421112, +62 285 421112 or 0812-3456-7890."


def parse_number(text: str) -> str:
    """The E.164 form (+62…) of an Indonesian number written in any usual way; InvalidNumber otherwise."""
    text = (text or "").strip()
    if not text:
        raise InvalidNumber(f"Enter a phone number. {HOW_TO_WRITE}", "empty")
    if len(text) > MAX_INPUT:
        raise InvalidNumber(f"A phone number has at most {MAX_INPUT} characters. {HOW_TO_WRITE}", "too_long")
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        raise InvalidNumber(f"This is not a phone number. {HOW_TO_WRITE}", "not_a_number") from None
    return _checked(number)


def _checked(number: phonenumbers.PhoneNumber) -> str:
    if number.country_code != COUNTRY_CODE:
        raise InvalidNumber("Only Indonesian numbers (+62) can be registered here.", "not_indonesian")
    if number.extension:
        raise InvalidNumber("Leave out the extension: a line or contact is reached without one.", "extension")
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"This is not a valid Indonesian number (check the area code and the number of digits). "
                            f"{HOW_TO_WRITE}", "invalid")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def national_format(e164: str) -> str:
    """`+62285421112` → `(0285) 421112`, as people in Indonesia read it."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, REGION), PhoneNumberFormat.NATIONAL)
    except NumberParseException:
        return e164  # stored numbers are valid E.164; show one as it is rather than fail a page
