"""Fields shared by every context's schemas."""

from marshmallow import ValidationError, fields


class PrintableText(fields.String):
    """Text a person typed: no control characters (PostgreSQL refuses NUL; the rest are never meant)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ord(char) < 32 and char not in "\t\n\r" or ord(char) == 127 for char in text):
            raise ValidationError("Remove control characters (such as NUL) from this text.")
        return text.strip()
