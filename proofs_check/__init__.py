"""proofs_check: the verification layer of gluon-ref.

Claims, symbolic proofs, numeric checks, reports and the ``gluon-ref``
command line.  It imports :mod:`gluon_ref`; gluon_ref never imports it.
"""
