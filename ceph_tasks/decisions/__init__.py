"""Pure decisions of maintenance steps: weights, health, guards, failure domains, gates.

No I/O, no clock, no globals: every function takes parsed cluster answers (and the time,
where it matters) and returns what to do or why not.
"""
