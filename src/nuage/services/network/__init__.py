"""Neutron's control plane: networks, subnets, ports and their quotas."""
