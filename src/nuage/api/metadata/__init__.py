"""The metadata service: what guests read at http://169.254.169.254, served on a unix
socket that only the datapath's metadata proxies reach (see app.py)."""
