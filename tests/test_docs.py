"The README is what nbs/index.ipynb makes, and `make docs` builds a site whose every internal link resolves."
import json, re, subprocess, sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'.ci'))
import docs  # noqa: E402


def run_docs(*args):
    return subprocess.run([sys.executable, str(ROOT/'.ci'/'docs.py'), *args], cwd=ROOT, capture_output=True, text=True)


def test_readme_is_made_from_the_index_notebook():
    res = run_docs('readme', '--check')
    assert res.returncode == 0, res.stdout + res.stderr
    readme = (ROOT/'README.md').read_text()
    assert readme.count('\n') < 400, 'the README is for users: a few hundred lines, the rest in the docs'
    assert '## Two commands' in readme.split('## How good it is')[0], 'install and run come first'


def test_readme_text_from_a_notebook():
    nb = {'cells': [{'cell_type': 'markdown', 'metadata': {}, 'source': '# t\n\nSee [the data](guide/data.md) and [x](#top).'},
                    {'cell_type': 'code', 'metadata': {}, 'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': '3\n'}],
                     'source': 'print(1+2)'},
                    {'cell_type': 'code', 'metadata': {'hidden': True}, 'outputs': [], 'source': 'secret = 1'}]}
    text = docs.readme_text(nb)
    assert '[the data](nbs/guide/data.md)' in text and '[x](#top)' in text   # links made relative to the repository
    assert '```python\nprint(1+2)\n```\n\n```\n3\n```' in text and 'secret' not in text
    assert docs.broken_readme_links('[a](nbs/guide/data.md) [b](nbs/guide/nothing.md)') == ['nbs/guide/nothing.md']


def test_every_notebook_and_its_guide_page_link_each_other():
    listed = {n: page for page, names in docs.GUIDE_NOTEBOOKS.items() for n in names}
    for path in sorted((ROOT/'nbs').glob('[0-9]*.ipynb')):
        opening = ''.join(''.join(c['source']) for c in json.loads(path.read_text())['cells'][:4] if c['cell_type'] == 'markdown')
        assert path.stem in listed, f'{path.name} is in no guide page\'s list (docs.GUIDE_NOTEBOOKS)'
        assert f'(guide/{listed[path.stem]})' in opening, f'{path.name} does not link nbs/guide/{listed[path.stem]} in its opening'
    for page in docs.GUIDE_NOTEBOOKS:
        assert '\n## ' in (ROOT/'nbs'/'guide'/page).read_text(), f'{page} has no ## sections (the site gives each page contents from them)'


def test_a_generated_section_is_replaced_and_its_markers_kept(tmp_path):
    text = 'intro\n<!-- notebooks: made -->\nold\n<!-- /notebooks -->\nend\n'
    assert docs.generated(text, 'notebooks', '- new\n', tmp_path) == 'intro\n<!-- notebooks: made -->\n- new\n<!-- /notebooks -->\nend\n'
    with pytest.raises(SystemExit, match='markers are missing'): docs.generated('no markers', 'notebooks', '', tmp_path)


def test_link_checker_finds_missing_files_and_anchors(tmp_path):
    (tmp_path/'guide').mkdir()
    (tmp_path/'index.html').write_text('<h2 id="here">x</h2><a href="#here">ok</a><a href="guide/a.html#there">ok</a>'
                                       '<a href="guide/gone.html">no</a><a href="#nowhere">no</a><a href="https://example.org/x">out</a>')
    (tmp_path/'guide'/'a.html').write_text('<p id="there"></p><img src="../index.html"><a href="a.html#missing">no</a>')
    assert sorted(docs.broken_site_links(tmp_path)) == ['guide/a.html: a.html#missing (no such anchor)',
                                                        'index.html: #nowhere (no such anchor)',
                                                        'index.html: guide/gone.html (no such file)']


def test_make_docs_builds_the_site():
    res = run_docs('build')
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    assert 'every internal link resolves' in res.stdout
    site = ROOT/'_docs'
    for page in ['index.html', 'experiments.html', 'guide/api.html', 'guide/openapi.html', '01_data.html', '08_api.html']:
        assert (site/page).exists(), page
    # the notebooks are rendered as executed: the insights notebook's figures are in its page
    assert re.search(r'<img[^>]+src="data:image/png', (site/'02_insights.html').read_text())
    assert 'swagger-ui' in (site/'guide'/'openapi.html').read_text() and (site/'guide'/'openapi.json').exists()
    home = (site/'index.html').read_text()
    assert 'mybinder.org' in home and 'images/dashboard_predict.png' in home and 'guide/openapi.html' in home
    assert 'default_exp' not in (site/'01_data.html').read_text()   # nbdev's directives are not shown


def test_a_notebook_runs_once_while_it_and_the_package_are_unchanged(tmp_path, monkeypatch):
    "`make test` runs the notebooks once: the docs build reuses the kept outputs, and runs a notebook again once it changed."
    monkeypatch.setattr(docs, 'NBS', tmp_path)
    monkeypatch.setattr(docs, 'EXECUTED', tmp_path/'kept')
    nb = tmp_path/'sums.ipynb'
    def write(code):
        nb.write_text(json.dumps({'cells': [{'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [], 'source': code}],
                                  'metadata': {'kernelspec': {'name': 'python3', 'language': 'python', 'display_name': 'Python 3'}},
                                  'nbformat': 4, 'nbformat_minor': 5}))
    def shown(): return docs.output_text(docs.executed([nb], workers=1)[nb]['cells'][0]['outputs'][0])
    write('print(41 + 1)')
    assert shown() == '42\n'
    [kept] = (tmp_path/'kept').glob('*.json')
    kept.write_text(kept.read_text().replace('42', 'kept'))
    assert shown() == 'kept\n'   # not run again
    write('print(2 + 2)')
    assert shown() == '4\n' and len(list((tmp_path/'kept').glob('*.json'))) == 1   # run again, the stale outputs gone
    write('1 / 0')
    with pytest.raises(RuntimeError, match='ZeroDivisionError'): docs.executed([nb], workers=1)
    write('print(2 + 2)')
    assert shown() == '4\n'   # the outputs of the last version that ran are kept through a failure
