"""Family letters: telling the family who is preparing the work, or that a limit will slip."""
