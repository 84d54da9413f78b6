"""The bad-input corpus through the library's import: broken files are reported with reasons, odd-but-valid files are accepted."""
import pytest
from PIL import Image

from corpus import bad_input_corpus, zip_slip_archive
from facemask.core import data_dir
from facemask.images import ImageRejected, open_image
from facemask.data import import_dataset
from facemask.testing import encode, make_class_tree, noise_image

CORPUS = bad_input_corpus()


@pytest.mark.parametrize('name', sorted(CORPUS))
def test_open_image_on_corpus(name):
    data, expected = CORPUS[name]
    if expected is None:
        im = open_image(data, name)
        assert im.mode == 'RGB' and min(im.size) >= 16
    else:
        with pytest.raises(ImageRejected) as e:
            open_image(data, name)
        assert e.value.name == name and expected in e.value.reason


def test_import_reports_every_bad_file_and_keeps_the_rest(home, tmp_path):
    src = make_class_tree(tmp_path / 'site', per_class=4)
    for name, (data, _) in CORPUS.items():
        (src / 'without_mask' / name).write_bytes(data)
    ds, report = import_dataset([src], progress=False)
    rejected = {n.split('/')[-1]: why for n, why in report.rejected}
    assert rejected.keys() == {n for n, (_, exp) in CORPUS.items() if exp}
    for name, (_, expected) in CORPUS.items():
        if expected: assert expected in rejected[name], (name, rejected[name])
    accepted = {n.split('/')[-1] for n, _, _ in report.added}
    assert {n for n, (_, exp) in CORPUS.items() if exp is None} <= accepted
    assert len(ds.manifest) == 12 + 6
    # the EXIF-rotated portrait (40x60, orientation 6) is stored upright as 60x40
    row = ds.manifest[ds.manifest['original'].str.endswith('exif_rotated.jpg')].iloc[0]
    assert (row.width, row.height) == (60, 40)
    assert Image.open(data_dir() / row.file).size == (60, 40)
    # no temporary or partial file is left in the store
    assert not list((data_dir() / 'store').rglob('*.tmp'))


def test_zip_slip_members_are_rejected_and_nothing_escapes(home, tmp_path):
    archive = zip_slip_archive(tmp_path / 'upload.zip')
    ds, report = import_dataset([archive], progress=False)
    assert len(report.added) == 3
    reasons = dict(report.rejected)
    assert set(reasons) == {'upload.zip:../../evil.jpg', 'upload.zip:upload/with_mask/../../../escape.jpg',
                            'upload.zip:/abs/with_mask/root.jpg'}
    assert all('path traversal' in why for why in reasons.values())
    assert not (tmp_path / 'evil.jpg').exists() and not (tmp_path.parent / 'evil.jpg').exists()
    assert set(ds.manifest['source']) == {'upload'}


def test_oversized_zip_member_is_rejected(home, tmp_path, monkeypatch):
    import facemask.data as data
    monkeypatch.setattr(data, 'MAX_FILE_BYTES', 2000)
    archive = tmp_path / 'big.zip'
    import zipfile
    with zipfile.ZipFile(archive, 'w') as z:
        z.writestr('with_mask/huge.png', encode(noise_image(400, 400, seed=1), 'PNG'))
        z.writestr('with_mask/small.jpg', encode(noise_image(40, 40, seed=2), quality=30))
    _, report = import_dataset([archive], progress=False)
    assert [n for n, _, _ in report.added] == ['big.zip:with_mask/small.jpg']
    assert 'too large' in dict(report.rejected)['big.zip:with_mask/huge.png']


def test_interrupted_import_leaves_no_dataset_version(home, tmp_path, monkeypatch):
    import facemask.data as data
    src = make_class_tree(tmp_path / 'site', per_class=3)
    def crash(*a, **k): raise RuntimeError('power cut')
    monkeypatch.setattr(data, 'save_dataset', crash)
    with pytest.raises(RuntimeError):
        import_dataset([src], progress=False)
    assert not (data_dir() / 'datasets').exists()
