"""The ARM fake\x27s modules (see ../README.md)."""
