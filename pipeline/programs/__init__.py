"""One module per external program: how to find it, start it, run it, stop it."""
