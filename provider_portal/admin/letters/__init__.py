"""The wording of the family letters, which administrators edit."""
