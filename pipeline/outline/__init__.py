"""The outline of a plan version: its numbered clauses and who does what in them.

- `clauses`: the `clauses` stage (the clause tree of every plan version, written with the
  responsibilities);
- `responsibilities`: the units a clause names and their roles (牵头, 配合, …), read from its text.
"""
