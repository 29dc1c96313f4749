"""统一社会信用代码 (Unified Social Credit Code), GB 32100-2015: format and check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when `code` is a valid USCC, else the reason in Chinese."""
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，实际为 {len(code)} 位"
    bad = [c for c in code if c not in ALPHABET]
    if bad:
        return f"统一社会信用代码含有非法字符“{bad[0]}”（只能是数字和除 I、O、S、V、Z 外的大写字母）"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3–8 位应为行政区划代码（数字）"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：应为“{expected}”，实际为“{code[17]}”"
    return None


def normalise_uscc(code: str) -> str:
    return code.strip().upper().replace(" ", "")
