"""Unified forms of the newborn one-thing regions: validation, eligibility, materials, notices.

Pure: imports neither Flask nor SQLAlchemy nor engine/. The API and the engine call it.
"""
from forms.problems import Problem
from forms.region import Assessment, ITEM_CHOICES, ProcessRules, RegionForm, RegionLoadError, load_region

__all__ = ["Assessment", "ITEM_CHOICES", "Problem", "ProcessRules", "RegionForm", "RegionLoadError", "load_region"]
