"""The credential providers, one module per source; :mod:`tcfunc.credential` re-exports them.

``_refresh`` holds the refresh machinery the temporary kinds share, ``_common``
the small helpers; ``env``, ``file``, ``cvm``, ``sts`` and ``chain`` one
source each. None of them imports the client.
"""
