"""nuage: a sovereign cloud platform."""
