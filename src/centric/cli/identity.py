"""`centric identity`: one person across visits. Show a person's ids; split a wrong merge."""

from __future__ import annotations

import click

from centric.cli.common import console, emit, workspace_option
from centric.workspace import Workspace


@click.group()
def identity():
    """Who is who: anonymous ids, user ids and e-mails merged into one customer.

    \b
    Examples:
      centric identity show C123
      centric identity show anon-7f3a
      centric identity split anon-7f3a --customer C123 --note "shared family laptop"
    """


@identity.command("show")
@workspace_option
@click.argument("any_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def show(workspace, any_id, fmt):
    """Every id of the customer ANY_ID (a customer id, anonymous id or e-mail) resolves to, and the
    message that merged each.

    \b
    Example:
      centric identity show ana@example.com
    """
    frame = Workspace(workspace).identity_show(any_id)
    emit(frame, fmt, title=f"Identities of {any_id}")


@identity.command("split")
@workspace_option
@click.argument("anonymous_id")
@click.option("--customer", default=None, help="Split from this customer only (default: every customer it is merged into).")
@click.option("--note", default=None, help="Why (kept in identity_splits).")
def split(workspace, anonymous_id, customer, note):
    """Undo a merge: ANONYMOUS_ID's anonymous events stop counting for the customer.

    \b
    Example:
      centric identity split anon-7f3a --customer C123 --note "shared family laptop"
    """
    customers = Workspace(workspace).identity_split(anonymous_id, customer=customer, note=note)
    console().print(f"Split {anonymous_id} from {', '.join(customers)}. Funnels, paths and journeys count it "
                    "apart from now on; `centric run` refreshes the derived tables.")
