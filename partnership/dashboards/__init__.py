"""Neighbourhood dashboards: demand, flow, waiting and unmet need, as aggregates only.

Leads see their own neighbourhoods' dashboards and admins every one (DESIGN section 4);
that rule lives in partnership.access. No dashboard shows personal data or free text, and
small numbers are withheld (partnership.dashboards.suppression).
"""
