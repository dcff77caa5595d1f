"""Fields shared by every context's schemas."""

from marshmallow import ValidationError, fields

# What a person can type: anything but control characters (PostgreSQL refuses NUL; the others are never meant).
PRINTABLE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class PrintableText(fields.String):
    """Text a person typed: tabs and line breaks allowed, other control characters refused, ends trimmed."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": PRINTABLE_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any((ord(char) < 32 and char not in "\t\n\r") or ord(char) == 127 for char in text):
            raise ValidationError("Remove control characters (such as NUL) from this text.")
        return text.strip()
