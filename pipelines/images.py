"""Samples in [0, 1] -> the uint8 pixels the screen shows: rounding, enlarging, tiling. NumPy only,
no torch, so a grid read from the disk cache or rendered earlier is drawn before torch is imported.
"""

from __future__ import annotations

import io
import math

import numpy as np

# the image files ganscope reads (training folders, photos to crop or project): what Pillow opens, PBM included
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".pbm", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MAX_WIDTH = 1460  # the widest image Streamlit sends as it is (its MAXIMUM_CONTENT_WIDTH)
DEFAULT_SIZE = 192  # on-screen pixels of one image until the user picks a size: a 64 px face 3x, a digit about 7x


def images_u8(samples) -> np.ndarray:
    """(N, C, H, W) in [0, 1] (an array, or a CPU tensor) -> (N, H, W, C) uint8 (C is 1 or 3), each value
    rounded half to even as torch's ``round`` does."""
    x = np.asarray(samples, dtype=np.float32) * np.float32(255)
    return np.round(x).astype(np.uint8).transpose(0, 2, 3, 1)


def enlarge(images: np.ndarray, size: int | None = None, smooth: bool = False, scale: int = 1) -> np.ndarray:
    """Enlarge (N, H, W, C) uint8 images for the screen: the one place images are scaled up.

    Args:
        size: on-screen pixels wanted for the longer side (None: use ``scale``). Pixel-exact scaling
            repeats every pixel ceil(size / side) times, so each stays a sharp square and the image is
            at least ``size``; smooth scaling resamples (bicubic) to exactly ``size``. Images already
            that large are left alone.
        smooth: resample smoothly instead of repeating pixels.
        scale: a fixed integer factor, used when ``size`` is None.
    """
    h, w = images.shape[1:3]
    if size is not None:
        if max(h, w) >= size:
            return images
        scale = math.ceil(size / max(h, w))
        out_hw = (round(h * size / max(h, w)), round(w * size / max(h, w)))
    else:
        out_hw = (h * scale, w * scale)
    if scale <= 1:
        return images
    if not smooth:
        return images.repeat(scale, axis=1).repeat(scale, axis=2)
    from PIL import Image

    mode_c = images.shape[3]
    out = np.empty((len(images), *out_hw, mode_c), np.uint8)
    for i, im in enumerate(images):
        pil = Image.fromarray(im[:, :, 0] if mode_c == 1 else im)
        out[i] = np.asarray(pil.resize(out_hw[::-1], Image.Resampling.BICUBIC)).reshape(*out_hw, mode_c)
    return out


def tile(images: np.ndarray, nrow: int, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """(N, H, W, C) uint8 -> one (H', W', 3) grid, ``nrow`` images a row with ``padding`` between and
    around them (torchvision's make_grid layout, without importing torchvision, which costs 1.5 s at
    start-up). A single image comes back unpadded; one channel is repeated to three."""
    if images.shape[3] == 1:
        images = np.broadcast_to(images, (*images.shape[:3], 3))
    n, h, w, c = images.shape
    if n == 1:
        return np.ascontiguousarray(images[0])
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value, np.uint8)
    for i in range(n):
        y, x = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def screen_png(image: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """A uint8 (H, W, 3) image as the PNG the browser is sent: one grey channel when the three are the
    same (every grid of one-channel samples), and zlib's fastest level. For a grid of 64 digits that is
    0.04 s of encoding instead of the 0.19 s of Streamlit's own RGB PNG, in a smaller file (336 KB, not 437).
    ``text`` goes into tEXt chunks (the grid cache's key)."""
    from PIL import Image, PngImagePlugin

    grey = (
        image.ndim == 3
        and image.shape[2] == 3
        and np.array_equal(image[..., 0], image[..., 1])
        and np.array_equal(image[..., 0], image[..., 2])
    )
    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image[..., 0]) if grey else image).save(
        buf, format="PNG", compress_level=1, pnginfo=info
    )
    return buf.getvalue()


def grid_pixels(samples, nrow: int, size: int | None, smooth: bool) -> np.ndarray:
    """(N, C, H, W) samples in [0, 1] -> one uint8 grid, ``nrow`` a row, each image enlarged to ``size`` px
    (smoothly, or pixel-exact). A grid is kept within the width Streamlit sends unscaled (wider ones it
    shrinks on the server, which would undo pixel-exact scaling)."""
    cols = min(nrow, len(samples))
    fit = (MAX_WIDTH - 2 * (cols + 1)) // max(cols, 1)
    if size and cols > 1 and size > fit:
        side = max(np.shape(samples)[-2:])
        size = fit if smooth else max(side, fit // side * side)
    return tile(enlarge(images_u8(samples), size=size, smooth=smooth), nrow=nrow)
