"""Bytes to values and back: the checked reader, the length-filling writer, the wire enums."""
