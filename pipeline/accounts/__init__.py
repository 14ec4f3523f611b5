"""Accounts of the web pages, and what every web worker shares through the database.

Roles scoped to the district, a town or a village; login sessions, lock-outs, rate
limits and the log of writes.
"""
