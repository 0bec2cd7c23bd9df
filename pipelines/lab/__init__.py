"""The Lab's engine: a small GAN trained live, one iteration at a time, with everything a page draws.

No Streamlit here (``app/views/lab.py`` lays it out). The pieces:

* ``data``      the data sets (2-D toys, a drawn set, 1-D densities), their fixed axes and mode centres;
* ``settings``  ``LabSettings``: every control of the page, and which of them need new networks;
* ``losses``    the five objectives (non-saturating and minimax BCE, least squares, hinge, WGAN-GP) and R1;
* ``optim``     Adam and SGD as torch's fused CPU kernels called directly (faster, and no torch._dynamo);
* ``engine``    ``LabSession``: G, D, their optimisers, Step D / Step G / Step both, history, fork;
* ``views``     what the plane draws, as arrays (D's surface, G's manifold, gradient arrows) and the
                metrics beside it (histogram KL/JS on one grid, modes covered, the diagnosis verdict);
* ``runner``    a per-session background thread that trains while the page polls, with the served-mode caps;
* ``runfolder`` save a lab as an ordinary run folder, and open a run folder as a replayable history.
"""
