"""办件 reads, each starting from ``access.scope``: ``applicant`` (我的办件, public progress
query), ``workbench`` (staff queues and case detail), ``supervision`` (电子监察 statistics)."""
