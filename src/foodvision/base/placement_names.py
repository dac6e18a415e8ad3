"""The values every ``precision=`` and ``distribution=`` argument takes (imports no Keras).

The command's parser and the study's profiles check them before Keras is imported.

Example:
    >>> "mixed_bfloat16" in PRECISIONS, DISTRIBUTIONS
    (True, ('data_parallel',))
"""

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
"""Values of ``precision=`` (``None`` means ``"float32"``); see
:func:`foodvision.training.precision.resolve_precision`."""

DISTRIBUTIONS = ("data_parallel",)
"""Names ``distribution=`` takes besides ``None`` and a ``keras.distribution`` object."""
