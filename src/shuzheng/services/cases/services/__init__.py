"""办件 write use-cases: ``apply`` (the applicant's side: drafts, submission, 补正, 撤件) and
``handle`` (staff: 受理, 审查, 特别程序, 决定, 办结, 送达). ``common.move`` is the one way a
case changes state."""
