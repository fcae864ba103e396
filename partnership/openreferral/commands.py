"""`flask --app partnership directory import FEED.json`: seed the directory from an ORUK feed."""

from pathlib import Path

import click
from sqlalchemy import select
from tqdm import tqdm

from partnership.extensions import db
from partnership.models import NeedCategory
from partnership.openreferral.importer import FeedError, ImportSummary, import_services, read_feed
from partnership.openreferral.taxonomy import DEFAULT_MAPPING, MappingError, load_mapping

directory_cli = click.Group("directory", help="The service directory.")

# Long lists of unmatched terms and areas are cut here; the counts stay whole.
MOST_LISTED = 20


@directory_cli.command("import")
@click.argument("feed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Taxonomy terms to needs, as JSON (default: {DEFAULT_MAPPING.name} in the package).",
)
def import_directory(feed, mapping):
    """Import an Open Referral UK services feed: a page, a list of services or one service.

    Safe to run again: services are matched on their Open Referral id.
    """
    needs = db.session.execute(select(NeedCategory.slug, NeedCategory.name)).all()
    try:
        term_mapping = load_mapping(mapping, needs)
        entries = read_feed(feed)
    except (FeedError, MappingError) as error:
        raise click.ClickException(str(error)) from error
    with tqdm(total=len(entries), desc="Importing services", unit=" services") as bar:
        summary = import_services(entries, term_mapping, progress=bar.update)
    for line in summary_lines(summary):
        click.echo(line)


def summary_lines(summary: ImportSummary) -> list[str]:
    """The summary in words: what was created, updated and skipped, and why."""
    lines = [
        f"Created {summary.created}, updated {summary.updated}, "
        f"unchanged {summary.unchanged}, skipped {len(summary.skipped)} services.",
    ]
    if summary.organisations_created:
        created = len(summary.organisations_created)
        lines.append(f"Created {created} organisation{'' if created == 1 else 's'}:")
        lines += [f"  {name}" for name in summary.organisations_created[:MOST_LISTED]]
        lines += _more(len(summary.organisations_created))
    if summary.skipped:
        lines.append("Skipped:")
        lines += [f"  #{s.position} {s.label}: {s.reason}" for s in summary.skipped]
    for title, counts in (
        ("Taxonomy terms with no need in the mapping (services)", summary.unmapped_terms),
        ("Service areas that are none of our neighbourhoods (services)", summary.unmatched_areas),
        ("Values left out (times)", summary.left_out),
    ):
        if counts:
            lines.append(f"{title}:")
            lines += [f"  {label[:80]}: {n}" for label, n in counts.most_common(MOST_LISTED)]
            lines += _more(len(counts))
    return lines


def _more(count: int) -> list[str]:
    return [f"  … and {count - MOST_LISTED} more"] if count > MOST_LISTED else []
