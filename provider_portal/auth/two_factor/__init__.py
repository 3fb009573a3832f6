"""Two-factor sign-in: authenticator codes, recovery codes, and setting them up."""
