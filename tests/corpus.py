"""The bad-input corpus every entry point must survive (generated images; see facemask.testing for valid ones)."""
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from facemask.core import CLASS_NAMES
from facemask.testing import encode, noise_image


# name -> (bytes, expected: None if it must be accepted, else a phrase of the rejection reason)
def bad_input_corpus():
    "Files a user might upload: the broken ones must be rejected with a reason, the odd-but-valid accepted."
    jpeg = encode(noise_image(64, 64, seed=1))
    rotated_exif = Image.Exif()
    rotated_exif[0x0112] = 6
    frames = [noise_image(40, 40, 'P', seed=s) for s in (2, 3, 4)]
    gif = io.BytesIO()
    frames[0].save(gif, 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0)
    return {
        'zero_bytes.jpg': (b'', 'empty file'),
        'text_renamed.jpg': (b'This is a text file, not a JPEG.\n' * 20, 'not an image'),
        'truncated.jpg': (jpeg[: len(jpeg) // 3], 'truncated'),
        'bomb.png': (encode(Image.new('1', (8000, 8000)), 'PNG'), 'decompression bomb'),
        'tiny.png': (encode(noise_image(8, 8, seed=5), 'PNG'), 'too small'),
        'cmyk.jpg': (encode(noise_image(50, 50, 'CMYK', seed=6)), None),
        'gray16.png': (encode(Image.fromarray((np.arange(48 * 64).reshape(48, 64) * 21).astype(np.uint16)), 'PNG'), None),
        'animated.gif': (gif.getvalue(), None),
        'exif_rotated.jpg': (encode(noise_image(40, 60, seed=7), exif=rotated_exif), None),
        'rgba.png': (encode(noise_image(50, 40, 'RGBA', seed=8), 'PNG'), None),
        'photo.webp': (encode(noise_image(50, 40, seed=9), 'WEBP'), None),
    }


def zip_slip_archive(path):
    "A zip with good class-folder members plus path-traversal and absolute-path members."
    with zipfile.ZipFile(path, 'w') as z:
        for k, label in enumerate(CLASS_NAMES):
            z.writestr(f'upload/{label}/ok{k}.jpg', encode(noise_image(40, 40, seed=500 + k)))
        z.writestr('../../evil.jpg', encode(noise_image(40, 40, seed=600)))
        z.writestr('upload/with_mask/../../../escape.jpg', encode(noise_image(40, 40, seed=601)))
        z.writestr('/abs/with_mask/root.jpg', encode(noise_image(40, 40, seed=602)))
    return Path(path)
