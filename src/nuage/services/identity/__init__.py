"""Identity: who is who, what they may do where, and the tokens that say so."""
