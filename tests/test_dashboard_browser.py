"""The Voilà dashboard in a real browser (Debian's chromium): upload, errors, every tab.

One server and one page for the module (a Voilà kernel loads TensorFlow: starting one per test would
cost more than the tests), in a FACEMASK_HOME with a small generated dataset and the shipped model.
"""
import os
import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from browser import (FACEMASK, PREDICT_UPLOAD, camera_clip, choose_files, chromium, open_dashboard, select_tab, serve_dashboard,
                     shown_result, start_camera, upload)
from facemask.predict import Predictor
from facemask.testing import encode, learnable_image, make_class_tree, noise_image


@pytest.fixture(scope='module')
def dashboard_home(tmp_path_factory):
    "A FACEMASK_HOME holding a small imported dataset (the Data tab needs one) and no runs: production is the shipped model."
    h = tmp_path_factory.mktemp('home')
    src = make_class_tree(tmp_path_factory.mktemp('src') / 'clinic', per_class=6, learnable=True, size=(40, 40))
    subprocess.run([FACEMASK, 'data', 'import', str(src)], env={**os.environ, 'FACEMASK_HOME': str(h)},
                   check=True, capture_output=True, timeout=300)
    return h


@pytest.fixture(scope='module')
def camera(tmp_path_factory, dashboard_home):
    "The fake camera's clip (a real photo with one clear face, from ../shared/data when present) and the face on its frame."
    with pytest.MonkeyPatch.context() as env:
        env.setenv('FACEMASK_HOME', str(dashboard_home))
        return camera_clip(tmp_path_factory.mktemp('camera'))


@pytest.fixture(scope='module')
def served(dashboard_home, camera):
    "The module's dashboard server and browser."
    with serve_dashboard(dashboard_home, log=dashboard_home / 'voila.log') as dashboard, chromium(fake_camera=camera[0]) as browser:
        yield dashboard, browser


@pytest.fixture(scope='module')
def page(served):
    dashboard, browser = served
    return open_dashboard(browser, dashboard.url)


@pytest.fixture
def files(tmp_path):
    "Images and a text file pretending to be one, each with a name no other upload of the page uses."
    def write(name, data):
        (tmp_path / name).write_bytes(data)
        return tmp_path / name
    return write


def test_upload_shows_the_predictors_label_and_probabilities(page, files, monkeypatch, dashboard_home):
    face = files('face.png', encode(learnable_image('with_mask', 64, 64, seed=5), 'PNG'))
    noise = files('noise.jpg', encode(noise_image(80, 60, seed=7)))
    monkeypatch.setenv('FACEMASK_HOME', str(dashboard_home))
    predictor = Predictor()
    cards = upload(page, face, noise)
    for card, f in zip(cards, (face, noise)):
        expected = predictor.predict(f.read_bytes(), f.name)
        assert shown_result(card) == {'label': expected.label,
                                      'probabilities': {c: f'{p:.1%}' for c, p in expected.probabilities.items()}}
        expect(card.locator('img')).to_have_count(2)   # the image and its Grad-CAM overlay


def test_a_bad_file_shows_an_error_not_a_traceback(page, files):
    [card] = upload(page, files('notes.jpg', b'these are my notes, not a photo'))
    assert shown_result(card) == {'error': '⚠ not an image (no known image format recognised)'}
    expect(page.locator('body')).not_to_contain_text('Traceback')


def test_every_tab_shows_its_content(page):
    expect(page).to_have_title('facemask')
    select_tab(page, 'Data')
    expect(page.locator('.fm-section:visible').first).to_contain_text('18 images')
    expect(page.locator('.fm-table:visible table')).to_contain_text('clinic')   # the source of the generated images
    expect(page.locator('.jp-OutputArea-output img:visible').first).to_be_visible()   # the figures
    select_tab(page, 'Model')
    expect(page.locator('.fm-section:visible').first).to_contain_text('Production model: shipped')
    expect(page.locator('.fm-metric:visible')).to_have_count(4)
    expect(page.locator('.jp-OutputArea-output img:visible').first).to_be_visible()
    select_tab(page, 'Retrain')
    expect(page.locator('button.widget-upload:visible', has_text='Choose images')).to_be_visible()
    select_tab(page, 'Predict')
    expect(page.locator(PREDICT_UPLOAD)).to_be_visible()
    expect(page.locator('body')).not_to_contain_text('Traceback')


def test_live_tab_labels_the_camera_like_the_library(page, camera):
    "Start the (fake) camera: frames flow, the face gets the box and label the library gives the same frame, Stop clears it."
    _, face = camera
    live = start_camera(page, frames=8)
    expect(live).to_have_attribute('data-running', 'true')
    assert float(live.get_attribute('data-fps')) > 0 and float(live.get_attribute('data-latency-ms')) > 0
    boxes = page.locator('.fm-live-box')
    if face is None: expect(boxes).to_have_count(0)
    else:
        expect(boxes).to_have_count(1)
        assert boxes.first.get_attribute('data-label') == face['label']
        label = face['label']
        expect(page.locator(f'.fm-live-count[data-class="{label}"]')).to_contain_text('1 ')   # one person, followed over 3+ frames
    page.locator('.fm-live-blur-toggle input').check()   # the page blurs what is under each box
    expect(live).to_have_class(re.compile(r'\bfm-live-blur\b'))
    if face is not None: expect(boxes.first).to_have_css('backdrop-filter', 'blur(14px)')   # boxes are redrawn each frame: polled
    page.locator('.fm-live-blur-toggle input').uncheck()
    expect(live).not_to_have_class(re.compile(r'\bfm-live-blur\b'))
    page.locator('.fm-live-toggle').click()
    expect(live).to_have_attribute('data-running', 'false')
    expect(boxes).to_have_count(0)
    expect(page.locator('body')).not_to_contain_text('Traceback')
    select_tab(page, 'Predict')


def test_live_tab_corrects_a_clicked_face_once_collecting(page, camera, dashboard_home, monkeypatch):
    "Live: with 'keep faces to review' ticked, a click on the face's box and on the right class files it, labelled, in the queue."
    from facemask.review import queue_faces
    _, face = camera
    if face is None: pytest.skip('no ../shared/data photo for the fake camera: no face to click')
    monkeypatch.setenv('FACEMASK_HOME', str(dashboard_home))
    select_tab(page, 'Live')
    page.locator('.fm-live-keep input').check()
    start_camera(page, frames=4)
    box = page.locator('.fm-live-box').first
    box.click()
    page.locator('.fm-live-correct button[data-label="mask_weared_incorrect"]').click()
    expect(page.locator('.fm-live-corrected')).to_contain_text('thanks: filed as mask worn incorrectly')
    clicked = page.locator('.fm-live-correct').get_attribute('data-id')
    assert [(f['label'], f['labelled_by']) for f in queue_faces(labelled=True) if f['id'] == clicked] == [('mask_weared_incorrect', 'live')]
    page.locator('.fm-live-toggle').click()
    page.locator('.fm-live-keep input').uncheck()
    expect(page.locator('body')).not_to_contain_text('Traceback')
    select_tab(page, 'Predict')


def test_wrong_then_review_tab_labels_with_the_keyboard(page, files, dashboard_home, monkeypatch):
    """Predict tab: "wrong?" files the right class. Review tab: the queue's faces in the library's order, labelled with keys
    (3 = no mask), undone with u, labelled with a click; the counts follow, and the library sees exactly those labels."""
    from facemask.review import Collector, new_face_id, queue_faces
    monkeypatch.setenv('FACEMASK_HOME', str(dashboard_home))
    [card] = upload(page, files('wrong-face.jpg', encode(noise_image(64, 64, seed=41))))
    card.locator('.fm-wrong select').select_option(label='Mask worn incorrectly')
    expect(card.locator('.fm-corrected')).to_contain_text('thanks: filed as mask worn incorrectly')
    assert ('mask_weared_incorrect', 'dashboard') in [(f['label'], f['labelled_by']) for f in queue_faces(labelled=True)]
    collector = Collector('api', sample=0)
    for i in range(3):
        collector.offer(new_face_id(), noise_image(64, 64, seed=60 + i),
                        {'mask_weared_incorrect': 0.35, 'with_mask': 0.4, 'without_mask': 0.25},
                        'with_mask', 'shipped', f'doubt{i}.jpg')
    collector.flush()
    waiting = [f['id'] for f in queue_faces(12)]
    select_tab(page, 'Review')
    grid = page.locator('.fm-review')
    expect(grid).to_have_attribute('data-faces', str(len(waiting)))
    assert [page.locator('.fm-review-face').nth(i).get_attribute('data-id') for i in range(len(waiting))] == waiting   # the library's order
    page.locator('.fm-review-face').first.click()
    page.keyboard.press('3')
    expect(page.locator('.fm-review-status')).to_contain_text('labelled no mask')
    expect(grid).to_have_attribute('data-faces', str(len(waiting) - 1))
    assert [(f['id'], f['label']) for f in queue_faces(labelled=True) if f['id'] == waiting[0]] == [(waiting[0], 'without_mask')]
    expect(page.locator('.fm-review-counts')).to_contain_text('1 no mask')
    page.keyboard.press('u')
    expect(page.locator('.fm-review-status')).to_contain_text('undone')
    expect(grid).to_have_attribute('data-faces', str(len(waiting)))
    page.locator(f'.fm-review-face[data-id="{waiting[1]}"] button[data-label="with_mask"]').click()
    expect(page.locator('.fm-review-status')).to_contain_text('labelled worn right')
    assert {f['id']: f['label'] for f in queue_faces(labelled=True)}.get(waiting[1]) == 'with_mask'
    assert waiting[0] in [f['id'] for f in queue_faces()]   # undone: back in the queue
    expect(page.locator('body')).not_to_contain_text('Traceback')
    select_tab(page, 'Predict')


RETRAIN_TIMEOUT_MS = 600_000   # fine-tuning the shipped model on the generated data, on 2 busy cores


def test_retrain_tab_uploads_retrains_and_shows_the_decision(page, files, dashboard_home, monkeypatch):
    "Last in the module: the upload adds images and the retraining may promote a new model."
    from facemask.data import load_dataset
    from facemask.registry import list_runs, production_run
    monkeypatch.setenv('FACEMASK_HOME', str(dashboard_home))
    before = len(load_dataset().manifest)
    # distinct: no near-duplicate of the data
    new = [files(f'new-face-{i}.jpg', encode(noise_image(48, 48, seed=100 + i))) for i in range(3)]
    select_tab(page, 'Retrain')
    choose_files(page, 'button.widget-upload:visible:has-text("Choose images")', new)
    page.locator('.widget-dropdown:visible select').select_option(label='No mask')
    page.locator('button:visible', has_text='Check and add').click()
    expect(page.locator('.fm-upload-report:visible')).to_contain_text('Added 3 (3 no mask); 0 duplicate(s), 0 rejected.')
    expect(page.locator('.fm-card:visible', has_text='3 new image(s) in 1 batch(es)')).to_be_visible()
    from facemask.review import labelled_pending
    reviewed = labelled_pending()['learn']   # the faces labelled by the tests above (wrong?, the Live tab, the Review tab) join too

    page.locator('button:visible', has_text='Retrain').click()
    decision = page.locator('.fm-decision:visible')
    decision.wait_for(timeout=RETRAIN_TIMEOUT_MS)
    [run] = [r for r in list_runs() if r['kind'] == 'retrain']
    assert run['status'] == 'succeeded'
    expect(page.locator('.fm-card:visible', has_text=run['run_id'])).to_contain_text('succeeded')
    promoted = production_run() == run['run_id']
    expect(decision).to_contain_text('Promoted: now in production' if promoted else 'Not promoted')
    expect(decision).to_contain_text(run['decision']['reason'])
    expect(page.locator('.fm-table:visible', has_text='val loss')).to_be_visible()   # the epochs streamed into the page
    assert len(load_dataset().manifest) == before + 3 + reviewed
    expect(page.locator('body')).not_to_contain_text('Traceback')


def test_monitor_tab_shows_the_sites_over_time(page, dashboard_home, monkeypatch):
    "A history of two sites (written as `watch --site` writes it): the tab's refresh shows both, the chart, the worst hour, an alert."
    from facemask.alerts import AlertEngine, AlertRule
    from facemask.history import HistoryRecorder
    monkeypatch.setenv('FACEMASK_HOME', str(dashboard_home))
    now = time.time()
    for site, masked, bare in (('north-gate', 18, 2), ('south-gate', 6, 9)):
        recorder = HistoryRecorder(site)
        recorder.add_people(['with_mask'] * masked + ['without_mask'] * bare, 'shipped', at=now - 600)
        recorder.close()
    engine = AlertEngine([AlertRule('south-gate', max_unmasked=0.3, min_people=5)], camera_check_s=None)
    assert [a['state'] for a in engine.check('south-gate')] == ['firing']
    select_tab(page, 'Monitor')
    page.locator('.fm-monitor').locator('xpath=..').locator('button', has_text='refresh').click()
    page.locator('select[multiple]:visible').select_option(['north-gate', 'south-gate'])   # the Live tab may have counted a site too
    monitor = page.locator('.fm-monitor')
    expect(monitor.locator('.fm-metric-value').first).to_have_text('35')
    expect(monitor.locator('.fm-metric-value').nth(1)).to_have_text('69%')   # 24 of 35 wear a mask correctly
    expect(monitor.locator('img.fm-monitor-chart')).to_be_visible()
    expect(monitor.locator('.fm-table').first).to_contain_text('south-gate')   # the worst period first
    expect(monitor.locator('.fm-alert-firing')).to_contain_text('south-gate: 60% of the 15 people')
    expect(page.locator('body')).not_to_contain_text('Traceback')
    select_tab(page, 'Predict')


def test_leaving_the_page_shuts_its_kernel_down(served, page):
    "Each visit gets a kernel with TensorFlow loaded (~750 MB): the page's own shutdown request on leaving must be honoured."
    import psutil
    dashboard, browser = served
    dashboard.wait_until_preheated()   # the module's page took the first kernel: the next visitor's is ready
    visit = open_dashboard(browser, dashboard.url)
    kernel_id = re.findall(r'Using pre-heated kernel: (\S+)', dashboard.log.read_text())[-1]
    def running():
        def command(p):
            try: return ' '.join(p.cmdline())
            except psutil.NoSuchProcess: return ''   # gone, or a zombie not yet reaped
        return any(kernel_id in command(p) for p in psutil.Process(dashboard.server.pid).children(recursive=True))
    assert running()
    visit.goto('about:blank')   # as closing the tab does, this runs the page's beforeunload handler
    deadline = time.monotonic() + 30
    while running() and time.monotonic() < deadline: time.sleep(0.2)
    assert not running(), dashboard.log.read_text()[-2000:]
    assert f'Kernel shutdown: {kernel_id}' in dashboard.log.read_text()
