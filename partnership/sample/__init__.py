"""Invented partnerships, to show the product and to measure it.

- `partnership.sample.demo`: the demo partnership of DESIGN section 8, for `flask seed-demo`
  and `make run`: a dozen organisations, their services and six months of referrals played
  through the real rules.
- `partnership.sample.bench`: the bench partnership for `flask bench-data` and `make bench`:
  up to millions of referrals loaded in bulk.

Nothing in the product imports this package; only the CLI commands and the tests do.
"""
