"""Backend benchmarks: time the study's models on each Keras backend (``foodvision bench``).

Each (backend, case) pair runs in its own subprocess with ``KERAS_BACKEND`` set before
Keras is imported, so backends never share a process and each peak-memory figure
belongs to one model.
"""
