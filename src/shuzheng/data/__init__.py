"""数据要素市场 — the data element market: catalogue and grading (``catalog``), sharing
between departments (``sharing``), the exchange gateway (``exchange``) and data quality
(``quality``). Depends on ``foundation`` only; networks use it through its services and
selectors."""
