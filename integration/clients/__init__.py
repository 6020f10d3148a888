"""The only code that talks HTTP to Freshdesk and Sautikit; no models, no UI wording."""
