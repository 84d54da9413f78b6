"""Locust users for the facemask API: faces of varied size posted to /predict, now and then /health, rarely a group photo.

Images are the real face crops and photos in ../shared/data when present (read at run time, never copied
into the repository), otherwise generated ones of the same variety of sizes. `make loadtest` runs this.
"""
import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, between, constant, task

from facemask.core import IMAGE_EXTENSIONS, shared_data_dir
from facemask.testing import encode, noise_image

FACES_PER_SOURCE = 100   # per source folder: enough variety, read once per Locust process


def _sample(folder: Path, n: int, rng: random.Random) -> list:
    files = sorted(f for f in folder.rglob('*') if f.suffix.lower() in IMAGE_EXTENSIONS)
    return [(f.name, f.read_bytes()) for f in rng.sample(files, min(n, len(files)))]


def face_images() -> list:
    "`(name, bytes)` of face crops: every real source (43 px street crops to 1024 px portraits) or generated sizes."
    rng, shared = random.Random(0), shared_data_dir()
    if shared:
        return [img for source in sorted((shared / 'faces').iterdir()) if source.is_dir() for img in _sample(source, FACES_PER_SOURCE, rng)]
    return [(f'face{i}.jpg', encode(noise_image(side, side, seed=i))) for i, side in enumerate([40, 48, 64, 96, 128, 224, 512] * 15)]


def group_photos() -> list:
    photos = shared_data_dir() / 'photos' / 'andrewmvd' / 'images' if shared_data_dir() else None
    if photos and photos.is_dir(): return _sample(photos, 10, random.Random(1))
    return [('street.jpg', encode(noise_image(400, 300, seed=1)))]


def multipart(name: str, data: bytes) -> tuple:
    "`(body, content type)` of a form with `data` in the field `file`, built once (Locust's fast client has no form encoder)."
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'
    return head.encode() + data + f'\r\n--{boundary}--\r\n'.encode(), f'multipart/form-data; boundary={boundary}'


def requests(images: list) -> list:
    "`(body, headers)` per image: a multipart form, or the raw image with LOADTEST_BODY=raw."
    if os.environ.get('LOADTEST_BODY') == 'raw': return [(data, {'Content-Type': 'image/jpeg'}) for _, data in images]
    return [(body, {'Content-Type': ctype}) for body, ctype in (multipart(*img) for img in images)]


FACES, PHOTOS = requests(face_images()), requests(group_photos())


class FaceUser(FastHttpUser):
    "A client classifying single faces as fast as the server answers (a closed loop: one request at a time per user)."
    wait_time = constant(0)

    @task(100)
    def predict(self):
        body, headers = random.choice(FACES)
        with self.rest('POST', '/predict', data=body, headers=headers) as r:
            if r.js and r.js.get('label') is None: r.failure(f'no label in {r.text[:200]}')

    @task(1)
    def health(self):
        self.client.get('/health')


class GroupPhotoUser(FastHttpUser):
    "One user sending a street photo every few seconds (MTCNN, ~0.3 s of CPU each)."
    fixed_count = 1
    wait_time = between(4, 8)

    @task
    def faces(self):
        body, headers = random.choice(PHOTOS)
        self.client.post('/predict/faces', data=body, headers=headers)
