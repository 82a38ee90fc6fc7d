"""``--threads``: how many threads torch and the BLAS/OpenMP libraries use for a command.

On a machine shared with other CPU-bound work, torch's intra-op threads and the BLAS
threads fight for the cores: one torch thread fits the package's small models as fast
as two on an idle machine, and 5-100 times faster when another process is busy
(DESIGN.md). The command therefore runs with one thread unless ``--threads`` says
otherwise, and puts the previous settings back when it ends (``main`` may be called
from Python).
"""

import sys


class ThreadLimit:
    """Limit BLAS/OpenMP pools (threadpoolctl) and torch's intra-op threads to ``n``.

    Use as a context manager around a command; call :meth:`apply_torch` once torch may
    have been imported (after a detector is built or a model loaded): torch is never
    imported for this alone.
    """

    def __init__(self, n):
        self.n = int(n)
        self._pools = None
        self._torch_before = None

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        self._pools = threadpool_limits(limits=self.n)
        self.apply_torch()
        return self

    def apply_torch(self):
        """Set torch's intra-op threads to ``n`` if torch is imported (once)."""
        torch = sys.modules.get("torch")
        if torch is not None and self._torch_before is None:
            self._torch_before = torch.get_num_threads()
            torch.set_num_threads(self.n)

    def __exit__(self, *exc_info):
        torch = sys.modules.get("torch")
        if torch is not None and self._torch_before is not None:
            torch.set_num_threads(self._torch_before)
        if self._pools is not None:
            self._pools.restore_original_limits()
        return False
