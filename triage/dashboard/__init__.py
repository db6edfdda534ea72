"""The leads' dashboard (/review/dashboard): charts of the backlog, decisions, turnaround,
rejection reasons and analysis findings. Queries in `operations`, SVG in `charts`."""
