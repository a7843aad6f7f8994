"""The demo (演示数据) of ``make demo``: its users, its figures and their review history.

- :mod:`bianhe.demo.users`: the demo users of every role and scope, their one username
  convention and password (``ensure_demo_users``).
- :mod:`bianhe.demo.values`: the pure generator of the figures (numpy and pandas, no
  database).
- :mod:`bianhe.demo.build`: writes the figures through the ingest path and gives the reports
  their review history (``build_demo_data``).
- :mod:`bianhe.demo.history`: that history, set-based, through the workflow table and the
  quality gate.
- :mod:`bianhe.demo.quality`: the demo explanations of the planted implausible values.

Only the demo imports this package's modules; the platform never depends on them.
"""
