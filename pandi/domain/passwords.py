"""Password rules beyond length: a mix of character classes."""

from __future__ import annotations

import string

MIN_CLASSES = 3


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password) or any(ord(c) > 127 and c.isalpha() for c in password),
    ]
    return sum(classes)


def password_problems(password: str, *, min_classes: int = MIN_CLASSES) -> list[str]:
    if character_classes(password) < min_classes:
        return [f"密码至少要包含大写字母、小写字母、数字、符号中的 {min_classes} 类"]
    return []
