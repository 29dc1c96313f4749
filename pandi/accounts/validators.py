from django.core.exceptions import ValidationError

from pandi.domain.passwords import MIN_CLASSES, password_problems


class CharacterClassValidator:
    """Passwords must mix character classes (upper, lower, digits, symbols)."""

    def __init__(self, min_classes: int = MIN_CLASSES):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        problems = password_problems(password, min_classes=self.min_classes)
        if problems:
            raise ValidationError(problems[0], code="password_too_simple")

    def get_help_text(self) -> str:
        return f"密码至少要包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


class MinimumLengthValidator:
    """Django's length rule with a Chinese message (Django 5.2's zh_Hans catalogue lacks the new text)."""

    def __init__(self, min_length: int = 10):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码太短，至少需要 {self.min_length} 个字符（当前 {len(password)} 个）。",
                                  code="password_too_short")

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
