"""The demo partnership of DESIGN section 8: a fictional partnership in a northern English city.

Every name here is invented. Seeding is idempotent: run it as often as you like.
"""
