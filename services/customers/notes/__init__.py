"""Notes on a customer (seed 001's "notas específicas"): follow-up written by any user with a
department, seen by access level through the author's current branch and department, deleted only
at level 1 with a history entry; and the notes report with its .xlsx export."""
