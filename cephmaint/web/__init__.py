"""`cephmaint serve`: the operators' and technicians' pages, their access rules and /metrics.

Users and roles come from a YAML file (`accounts`), logins are server-side sessions in the
state Redis (`sessions`), failed logins are counted there too (`throttle`), and every
change goes through one gate: a session, its CSRF token and a sufficient role (`access`).
The pages: the fleet with each cluster's health (`fleet`; `health`, read off the request
path by `health_cache`), one maintenance with its steps' graph (`maintenance_page`,
`overview`, `graph`) and its operators' controls (`controls`), the technicians' queue and
confirmation (`technicians`, `gates`), all reading the maintenances through `backend`.
`app.create_app` puts them together.
"""
