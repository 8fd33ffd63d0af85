"""Checks of a derived sampler by independent means: Geweke's joint-distribution test and
simulation-based calibration."""

from .geweke import GewekeReport, geweke_test
from .sbc import SBCReport, sbc

__all__ = ["geweke_test", "GewekeReport", "sbc", "SBCReport"]
