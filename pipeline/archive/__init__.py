"""The tamper-evident archive (WORM) on S3 with object lock.

``objectstore`` is the only module that talks S3; ``selfcheck`` proves, before
anything is archived, that the store really refuses to delete or re-date
locked versions.
"""
