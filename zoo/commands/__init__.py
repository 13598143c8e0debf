"""One module per `zoo` sub-command; see `zoo/cli.py`."""
