"""办件 API: ``applicant`` (the applicant's drafts and cases), ``staff`` (handling),
``supervision`` (statistics)."""
