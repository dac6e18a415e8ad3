"""The values every ``precision=``, ``distribution=`` and schedule argument takes.

It imports no Keras: the command's parser and the study's profiles check them before
Keras is imported.

Example:
    >>> "mixed_bfloat16" in PRECISIONS, DISTRIBUTIONS, SCHEDULES
    (True, ('data_parallel',), ('constant', 'cosine', 'plateau'))
"""

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
"""Values of ``precision=`` (``None`` means ``"float32"``); see
:func:`foodvision.training.precision.resolve_precision`."""

DISTRIBUTIONS = ("data_parallel",)
"""Names ``distribution=`` takes besides ``None`` and a ``keras.distribution`` object."""

SCHEDULES = ("constant", "cosine", "plateau")
"""Learning-rate schedules of :func:`foodvision.train` (``schedule=``) and of
:func:`foodvision.fine_tune`'s phase 2 (``finetune_schedule=``)."""
