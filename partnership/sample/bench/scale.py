"""How big the bench partnership is for N referrals, and the weighted draws that skew it."""

from dataclasses import dataclass

DAY = 86400.0
SPAN_DAYS = 730
# Rows are written this many at a time.
CHUNK = 50_000


@dataclass
class Scale:
    referrals: int
    neighbourhoods: int
    organisations: int
    services: int
    residents: int

    @classmethod
    def for_referrals(cls, n: int) -> "Scale":
        return cls(
            referrals=n,
            neighbourhoods=max(3, round(n / 20_000)),
            organisations=max(6, round(n / 2_000)),
            services=max(12, round(n / 200)),
            residents=max(50, round(n / 5)),
        )


def zipf_cumulative(n: int, s: float) -> list[float]:
    """Cumulative weights of ranks 1..n under a Zipf law with exponent s."""
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        out.append(total)
    return out


def cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
