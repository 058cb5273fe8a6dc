"""The settings of the seeded external network: defaults, a chosen prefix, none, and a
mistyped prefix refused at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from nuage.bootstrap import external_spec
from nuage.services.network.external import ExternalSpec
from nuage.settings import Settings


def test_the_default_is_documentation_space_with_pool_10_to_250() -> None:
    assert external_spec(Settings()) == ExternalSpec(
        name="public", cidr="203.0.113.0/24", gateway_ip=None, pool_start="203.0.113.10",
        pool_end="203.0.113.250")


def test_a_chosen_prefix_gateway_and_pool() -> None:
    spec = external_spec(Settings(network_external_cidr="198.51.100.0/26",
                                  network_external_gateway="198.51.100.62"))
    assert spec == ExternalSpec(name="public", cidr="198.51.100.0/26",
                                gateway_ip="198.51.100.62", pool_start="198.51.100.10",
                                pool_end="198.51.100.58")
    spec = external_spec(Settings(network_external_pool_start="203.0.113.100",
                                  network_external_pool_end="203.0.113.120"))
    assert spec is not None and (spec.pool_start, spec.pool_end) == ("203.0.113.100",
                                                                     "203.0.113.120")


def test_an_empty_prefix_makes_none_and_a_bad_one_fails_the_start() -> None:
    assert external_spec(Settings(network_external_cidr="")) is None
    with pytest.raises(ValidationError):
        Settings(network_external_cidr="203.0.113.1/24")
    with pytest.raises(ValidationError):
        Settings(network_external_gateway="not-an-address")
