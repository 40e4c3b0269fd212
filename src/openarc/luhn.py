"""The Luhn check, which every card number passes: how a card number is told from other digits."""

from __future__ import annotations


def luhn_ok(number: str) -> bool:
    """Whether ``number`` (digits only) passes the Luhn check."""
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
