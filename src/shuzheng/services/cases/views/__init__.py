"""办件 pages: ``portal`` (apply, 我的办件, progress query), ``workbench`` (queues, case
handling), ``supervision`` (电子监察)."""
