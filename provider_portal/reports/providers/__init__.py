"""The league table: every provider side by side, on the pack's definitions."""
