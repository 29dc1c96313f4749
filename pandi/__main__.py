"""The `pandi` console command: Django's manage.py for this project.

Command names may be written with hyphens (`pandi seed-demo`); they map to the Django command
with underscores (`seed_demo`).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pandi.settings.dev")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "pandi"
    from django.core.management import execute_from_command_line

    from pandi.core.auditctx import audit_context

    with audit_context("cli"):  # writes made by commands are audited as coming from the command line
        execute_from_command_line(argv)


if __name__ == "__main__":
    main()
