"""A submission file as the units of source the child runs: reading it without trusting the
folder (files.py), notebooks (notebook.py) and IPython's syntax (ipython_syntax.py)."""
