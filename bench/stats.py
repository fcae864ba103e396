"""The harness's pure parts: percentiles, summaries, targets and the RESULTS.md writer.

Nothing here touches a server, so the smoke test (tests/sample/test_bench.py) runs all of it.
"""

import math
from dataclasses import dataclass, field


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Summary:
    """Latencies in milliseconds for one scenario, and its throughput."""

    name: str
    count: int
    errors: int
    median: float
    p95: float
    p99: float
    throughput: float  # per second, over the wall-clock time of the run
    note: str = ""

    @classmethod
    def of(cls, name: str, latencies_ms: list[float], seconds: float, errors: int = 0, note=""):
        return cls(
            name=name,
            count=len(latencies_ms),
            errors=errors,
            median=percentile(latencies_ms, 50),
            p95=percentile(latencies_ms, 95),
            p99=percentile(latencies_ms, 99),
            throughput=len(latencies_ms) / seconds if seconds > 0 else math.nan,
            note=note,
        )


@dataclass
class Target:
    """A target on one statistic: `stat` of the scenario must be ≤ `limit` (in its unit)."""

    stat: str  # "median", "p95", "p99" or "ratio_p95" (against another summary)
    limit: float
    words: str

    def value(self, summary: Summary, reference: Summary | None = None) -> float:
        if self.stat == "ratio_p95":
            return summary.p95 / reference.p95 if reference and reference.p95 else math.nan
        return getattr(summary, self.stat)

    def met(self, summary: Summary, reference: Summary | None = None) -> bool:
        value = self.value(summary, reference)
        return not math.isnan(value) and value <= self.limit


@dataclass
class Row:
    """One line of the results table."""

    key: str
    title: str
    summary: Summary | None
    target: Target | None = None
    reference: Summary | None = None  # for ratio targets
    outcome: str = ""  # "met", "missed" or "not measured", filled in by `judge`
    why: str = ""  # the gap and its cause when missed, or why not measured
    extra: dict = field(default_factory=dict)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline and not math.isnan(baseline) else math.nan


def judge(row: Row) -> Row:
    if row.summary is None or row.summary.count == 0:
        row.outcome = "not measured"
    elif row.target is None:
        row.outcome = "—"
    else:
        row.outcome = "met" if row.target.met(row.summary, row.reference) else "missed"
        if row.outcome == "missed" and not row.why:
            value = row.target.value(row.summary, row.reference)
            row.why = f"{row.target.stat} {value:.1f} against ≤ {row.target.limit:g}"
    return row


def _ms(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}"


def _x(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}×"


TABLE_HEAD = (
    "| scenario | requests | errors | median ms | p95 ms | p99 ms | per s "
    "| median × base | p95 × base | target | result |"
)
TABLE_RULE = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"


def table(rows: list[Row], baseline: Summary | None) -> list[str]:
    lines = [TABLE_HEAD, TABLE_RULE]
    for row in rows:
        s = row.summary
        target = row.target.words if row.target else "—"
        if s is None or s.count == 0:
            cells = [row.title, "0", "—", "—", "—", "—", "—", "—", "—", target, row.outcome]
        else:
            cells = [
                row.title,
                str(s.count),
                str(s.errors),
                _ms(s.median),
                _ms(s.p95),
                _ms(s.p99),
                f"{s.throughput:.0f}",
                _x(ratio(s.median, baseline.median if baseline else math.nan)),
                _x(ratio(s.p95, baseline.p95 if baseline else math.nan)),
                target,
                row.outcome,
            ]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return lines


def render_results(meta: dict, rows: list[Row], baseline: Summary | None, notes: list[str]) -> str:
    """bench/RESULTS.md: the machine, the run, the table, then each target's verdict."""
    out = ["# `make bench` results", ""]
    out.append(
        f"Run on {meta.get('date', '?')}, N = {meta.get('referrals', 0):,} referrals, "
        f"total run time {meta.get('run_seconds', 0):.0f} s."
    )
    out.append("")
    out.append("## Machine")
    out.append("")
    keys = ("cpu", "cores", "memory", "load", "python", "postgresql", "redis", "server", "client")
    for key in keys:
        if key in meta:
            out.append(f"- {key}: {meta[key]}")
    out.append("")
    out.append("## Figures")
    out.append("")
    out.append(
        "Latencies in milliseconds, measured by the client; ratios are to the baseline "
        "endpoint of the same server in the same run."
    )
    out.append("")
    out.extend(table(rows, baseline))
    out.append("")
    out.append("## Targets")
    out.append("")
    for row in rows:
        if row.target is None and not row.why and row.outcome != "not measured":
            continue
        line = f"- **{row.title}**: {row.outcome}"
        if row.target:
            line += f" (target {row.target.words})"
        if row.why:
            line += f". {row.why}"
        out.append(line)
    if notes:
        out.append("")
        out.append("## Notes")
        out.append("")
        out.extend(f"- {note}" for note in notes)
    out.append("")
    return "\n".join(out)
