"""plotly for the app's figures, always imported after pandas: every module that draws a figure takes ``go``
(and ``qualitative``) from here, never from plotly itself (``tests/test_plotting.py`` checks).

Why: plotly's validators and JSON encoder look pandas up in ``sys.modules`` without importing it
(``_plotly_utils.optional_imports.get_module(..., should_load=False)``). While another thread of the server
is importing pandas for the first time (the Lab's loss chart smooths with it, a page's script run that was
replaced may still be finishing that import), they find it half-initialised and raise "partially
initialized module 'pandas' has no attribute 'Series'": a clean checkout's Lab showed that traceback in
place of its plane. A thread can only reach ``go`` through this module, whose import ends after pandas' has
(Python's import lock makes a second importer wait), so every figure is built with pandas complete. The cost
is pandas' import (about 0.3 s, once per server) on the first page that draws a plotly figure; the Samples
page's first grid draws none and does not pay it."""

from __future__ import annotations

import pandas  # noqa: F401 - first, see above
import plotly.graph_objects as go
from plotly.colors import qualitative

__all__ = ["go", "qualitative"]
