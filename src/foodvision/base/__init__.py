"""The base layer: small helpers that import nothing else from foodvision.

- :mod:`~foodvision.base.files`: atomic writes, so a kill never leaves a half-written file.
- :mod:`~foodvision.base.system`: facts about this machine and process (memory, cores,
  peak memory, versions).
- :mod:`~foodvision.base.checks`: argument checks with one wording for every message.
- :mod:`~foodvision.base.jsonable`: values made JSON-safe (numpy, NaN, tuples, paths).
- :mod:`~foodvision.base.shapes`: a built model's class count and image size.
- :mod:`~foodvision.base.html` and :mod:`~foodvision.base.figures`: the pieces of the
  report pages and their matplotlib figures.
- :mod:`~foodvision.base.backends`: which Keras backend to use, decided before Keras loads.

The library (``data``, ``models``, ``training``, ...) and the applications (``apps``)
build on these; nothing here imports them (a test checks it).
"""
