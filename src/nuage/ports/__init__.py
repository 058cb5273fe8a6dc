"""Small Protocols the services need; drivers implement them."""
