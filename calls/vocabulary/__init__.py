"""The words a call is written in, shared by every layer above: the closed sets of a call's
values (choices.py), the hangup vocabulary of both products (hangup.py) and the billing
increments carriers write (increments.py). Plain Python: nothing here imports Django or
another part of the app, so the models and everything that reads or writes calls can."""
