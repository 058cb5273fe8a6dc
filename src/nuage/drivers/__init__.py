"""Port implementations. Only bootstrap wires them in."""
