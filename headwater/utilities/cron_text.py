"""A five-field cron expression in words: ``"0 6 * * 1-5"`` → "At 06:00, Monday to
Friday".  Covers what people write (numbers, ``*``, ``*/n``, ranges, lists, names);
anything else is shown field by field, never guessed."""

from __future__ import annotations

DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_DAY_NAMES = {d[:3].lower(): str(i) for i, d in enumerate(DAYS)}
_MONTH_NAMES = {m[:3].lower(): str(i + 1) for i, m in enumerate(MONTHS)}


def _names(field: str, table: dict[str, str]) -> str:
    for name, number in table.items():
        field = field.lower().replace(name, number)
    return field


def _list(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _items(field: str, label: object) -> str:
    """``1-5`` → "Monday to Friday", ``1,3`` → "Monday and Wednesday", ``*/2`` → "every 2nd"."""
    out = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*" and step:
            out.append(f"every {step}{_ordinal(step)} {label}" if label else f"every {step}")
            continue
        if "-" in base:
            low, high = base.split("-", 1)
            text = f"{_name(low, label)} to {_name(high, label)}"
        else:
            text = _name(base, label)
        out.append(text + (f" (every {step})" if step else ""))
    return _list(out)


def _ordinal(number: str) -> str:
    if number.endswith(("11", "12", "13")):
        return "th"
    return {"1": "st", "2": "nd", "3": "rd"}.get(number[-1:], "th")


def _name(value: str, label: object) -> str:
    if label == "weekday" and value.isdigit():
        return DAYS[int(value) % 7]
    if label == "month" and value.isdigit() and 1 <= int(value) <= 12:
        return MONTHS[int(value) - 1]
    return value


def _simple(field: str) -> bool:
    return field.isdigit()


def describe_cron(expression: str) -> str:
    """The expression in words (it is assumed valid: ``Cron`` checks it first)."""
    fields = expression.split()
    if len(fields) != 5:
        return f"cron {expression}"
    minute, hour, day, month, weekday = fields
    weekday = _names(weekday, _DAY_NAMES)
    month = _names(month, _MONTH_NAMES)
    if _simple(minute) and _simple(hour):
        when = f"At {int(hour):02d}:{int(minute):02d}"
    elif minute == "*" and hour == "*":
        when = "Every minute"
    elif minute.startswith("*/") and hour == "*":
        when = f"Every {minute[2:]} minutes"
    elif _simple(minute) and hour == "*":
        when = f"At minute {int(minute)} of every hour"
    elif _simple(minute) and hour.startswith("*/"):
        when = f"At minute {int(minute)} of every {hour[2:]}{_ordinal(hour[2:])} hour"
    elif minute == "*":
        when = f"Every minute of hour {_items(hour, '')}"
    else:
        hours = _items(hour, "") if hour != "*" else "every hour"
        when = f"At minute {_items(minute, '')} of hour {hours}"
    parts = [when]
    if day != "*":
        parts.append(f"on day {_items(day, 'day')} of the month")
    if month != "*":
        parts.append(f"in {_items(month, 'month')}")
    if weekday != "*":
        on = _items(weekday, "weekday")
        parts.append(f"on {on}" if day == "*" else f"or on {on}")
    return ", ".join(parts)
