#!/usr/bin/env python
"""The README and the documentation site, both made from the notebooks in nbs/.

    python .ci/docs.py readme [--check]   README.md from nbs/index.ipynb, executed; the guide pages' lists of notebooks from their
                                          summaries, the command table from the parser (--check: fail if they differ)
    python .ci/docs.py build              the site in _docs/: the notebooks executed into _proc/, rendered by mkdocs, links checked
    python .ci/docs.py test               every notebook's tests, run as `nbdev_test` runs them, their outputs kept for the two above

`make test` runs `test` first: `build` and `readme` then reuse each notebook's execution while neither the
notebook nor the package changed (outputs/executed_notebooks/, keyed by both), so the notebooks run once.

`make readme` and `make docs` call these. nbdev's own builder needs Quarto, which cannot be installed
from PyPI; mkdocs-material with mkdocs-jupyter can (pinned in settings.ini).
"""
import argparse, hashlib, json, os, posixpath, re, shutil, subprocess, sys
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
NBS, PROC, SITE = ROOT/'nbs', ROOT/'_proc', ROOT/'_docs'
EXECUTED = ROOT/'outputs'/'executed_notebooks'
NOT_EXECUTED = {'train.ipynb', 'tune.ipynb', 'explore.ipynb', 'dashboard.ipynb'}   # papermill's and Voilà's: shown as written
HIDDEN = {'hide', 'default_exp', 'include:'}
README_HEADER = '<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->\n\n'
EXTERNAL = re.compile(r'^([a-z][a-z0-9+.-]*:|//|#)', re.I)
MD_LINK = re.compile(r'(!?\[[^\]]*\]\()([^)\s]+)(\))')
CLI_GUIDE = NBS/'guide'/'cli.md'
GUIDE_NOTEBOOKS = {   # each guide page and the notebooks it is about: its "In the notebooks" list is written from their summaries
    'data.md': ['00c_images', '01_data', '01b_duplicates', '01a_pipeline', '02_insights', '09a_cli_data'],
    'training.md': ['03_model', '03a_backbone', '04_train', '04a_tune', '05_evaluate', '05i_measure', '05b_runs', '09b_cli_models'],
    'model.md': ['03b_served', '05h_card', '06_predict', '06a_faces', '06b_detect'],
    'retraining.md': ['05c_retrain', '05a_registry', '07a_retrain_app'],
    'review.md': ['05d_review', '07c_review_app'],
    'video.md': ['06c_video', '06e_cameras', '07b_live', '09d_cli_sites'],
    'monitoring.md': ['05e_history', '05f_metrics', '05g_alerts', '07d_monitor_app'],
    'dashboard.md': ['07_app', '06d_ui'],
    'api.md': ['08_api'],
    'cli.md': ['09_cli', '00b_commands', '09c_cli_serving'],
    'developing.md': ['00_core', '00a_testing'],
}


def skip_flags() -> set:
    "The flags whose cells `nbdev_test` skips (settings.ini's tst_flags): the docs skip them too."
    from nbdev.config import get_config
    return set(get_config().tst_flags.split())


def execute(path: str) -> dict:
    "Run a notebook as `nbdev.test.test_nb` does (in its folder, slow cells skipped) and return it with its outputs."
    from execnb.shell import CaptureShell
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    path, flags = Path(path), skip_flags()
    sys.path.insert(0, str(get_config().config_path))
    os.environ['IN_TEST'] = '1'
    nb = NBProcessor(path).nb

    def no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        d = cell.directives_ or {}
        return d.get('eval:', [''])[0].lower() == 'false' or bool(flags & d.keys())
    shell = CaptureShell(path)
    os.chdir(path.parent)
    try: shell.run_all(nb, exc_stop=True, preproc=no_eval)
    except Exception: raise RuntimeError(f'{path.name} failed:\n{shell.prettytb(fname=path)}') from None
    return shown_as_directed(nb)


def shown_as_directed(nb) -> dict:
    "`nb` (read by nbdev, directives taken out of the source) as a plain dict, what its directives asked for in each cell's metadata."
    from execnb.nbio import nb2dict
    for cell in nb.cells:
        directives = cell.get('directives_') or {}
        cell.metadata = {'hidden': True} if HIDDEN & directives.keys() else {}
        if 'echo:' in directives: cell.metadata['tags'] = ['hide_input']
    return nb2dict(nb)


def read_plain(path: Path) -> dict:
    "A notebook that is not run: its directives removed like an executed one's."
    from nbdev.process import NBProcessor
    return shown_as_directed(NBProcessor(path).nb)


def package_key() -> bytes:
    "What every notebook's outputs depend on besides the notebook itself: the package's code and the project's settings."
    files = sorted((ROOT/'facemask').rglob('*.py')) + [ROOT/'settings.ini']
    return hashlib.sha256(b''.join(f.relative_to(ROOT).as_posix().encode() + f.read_bytes() for f in files)).digest()


def executed(paths, workers: int = 2) -> dict:
    """Each notebook run in one of `workers` forked processes, each running one after another as `nbdev_test --n_workers` does
    (a worker keeps what it imported: TensorFlow is imported once per worker, not once per notebook), or taken from
    EXECUTED where it ran with the same notebook and package before. Raises once every notebook has run, naming each failure."""
    key, done, failed = package_key(), {}, []
    name = lambda p: p.relative_to(NBS).with_suffix('').as_posix().replace('/', '--')
    kept = {p: EXECUTED/f'{name(p)}@{hashlib.sha256(key + p.read_bytes()).hexdigest()[:20]}.json' for p in map(Path, paths)}
    for p, f in kept.items():
        if f.exists(): done[p] = json.loads(f.read_text())
    with ProcessPoolExecutor(workers) as pool:
        # by its module's name: executing a notebook makes the worker's __main__ IPython's, where a later task could not find it
        from docs import execute as run
        running = {p: pool.submit(run, str(p)) for p in kept if p not in done}
        for p, job in running.items():
            try: done[p] = job.result()
            except RuntimeError as e: failed.append(str(e)); continue
            EXECUTED.mkdir(parents=True, exist_ok=True)
            for stale in EXECUTED.glob(f'{name(p)}@*.json'): stale.unlink()
            tmp = kept[p].with_suffix('.tmp'); tmp.write_text(json.dumps(done[p])); tmp.replace(kept[p])
    if failed: raise RuntimeError('\n\n'.join(failed))
    return {Path(p): done[Path(p)] for p in paths}


def test() -> int:
    "Every notebook `nbdev_test` would test, run its way; their outputs kept for `build` and `readme`."
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    from nbdev.test import _keep_file
    notebooks = sorted(p.absolute() for p in nbglob(get_config().nbs_path, as_path=True) if _keep_file(p, '.notest'))
    print(f'testing {len(notebooks)} notebooks (slow cells skipped) ...', flush=True)
    try: executed(notebooks)
    except RuntimeError as e:
        print(e, file=sys.stderr); return 1
    print('Success.')
    return 0


def relink(text: str, rewrite) -> str:
    "`text`'s markdown links and images with their relative targets passed through `rewrite`."
    return MD_LINK.sub(lambda m: m[1] + (m[2] if EXTERNAL.match(m[2]) else rewrite(m[2])) + m[3], text)


def shown_cells(nb: dict):
    return [c for c in nb['cells'] if not c.get('metadata', {}).get('hidden')]


def source(cell) -> str: return ''.join(cell['source']).strip('\n')


def output_text(out: dict) -> str:
    if out['output_type'] == 'stream': return ''.join(out['text'])
    data = out.get('data', {})
    return ''.join(data.get('text/markdown') or data.get('text/plain') or '')


def readme_text(nb: dict) -> str:
    "README.md from the executed index notebook: its links made relative to the repository's root."
    to_root = lambda link: posixpath.normpath('nbs/' + link.split('#')[0]) + ('#' + link.split('#')[1] if '#' in link else '')
    parts = []
    for cell in shown_cells(nb):
        if cell['cell_type'] == 'markdown': parts.append(relink(source(cell), to_root)); continue
        parts.append(f"```python\n{source(cell)}\n```")
        text = ''.join(output_text(o) for o in cell.get('outputs', [])).strip('\n')
        if text: parts.append(f"```\n{text}\n```")
    return README_HEADER + '\n\n'.join(parts) + '\n'


def broken_readme_links(text: str) -> list:
    targets = [m[2] for m in MD_LINK.finditer(text) if not EXTERNAL.match(m[2])]
    return [t for t in targets if not (ROOT/unquote(t.split('#')[0])).exists()]


def generated(text: str, name: str, body: str, where: Path) -> str:
    "`text` with what stands between its `<!-- name: ... -->` and `<!-- /name -->` markers replaced by `body`."
    section = re.compile(rf'(<!-- {name}:[^\n]*-->\n).*?(<!-- /{name} -->)', re.S)
    if not section.search(text): raise SystemExit(f'{where}: the <!-- {name}: --> ... <!-- /{name} --> markers are missing')
    return section.sub(lambda m: m[1] + body + m[2], text)


def notebook_title(name: str) -> tuple:
    "`(title, summary)` of a notebook: its `# ` title and its `> ` summary."
    lines = ''.join(json.loads((NBS/f'{name}.ipynb').read_text())['cells'][1]['source']).split('\n')
    return next(l[2:] for l in lines if l.startswith('# ')), next(l[2:] for l in lines if l.startswith('> '))


def guide_text(page: str) -> str:
    "A guide page with its list of notebooks (and, for the command line, its table of commands) written from their sources."
    path = NBS/'guide'/page
    listed = ''.join(f'- [{title}](../{n}.ipynb) (`nbs/{n}.ipynb`): {summary}\n'
                     for n in GUIDE_NOTEBOOKS[page] for title, summary in [notebook_title(n)])
    text = generated(path.read_text(), 'notebooks', listed, path)
    if path == CLI_GUIDE:
        from facemask.cli import build_parser
        from facemask.commands import command_table
        text = generated(text, 'commands', command_table(build_parser()), path)
    return text


def readme(check: bool) -> int:
    text = readme_text(executed([NBS/'index.ipynb'], workers=1)[NBS/'index.ipynb'])
    broken = broken_readme_links(text)
    if broken: print('README links to files that do not exist:', *broken, sep='\n  '); return 1
    origin = lambda page: "its notebooks' summaries" + (" and the commands' declarations" if page == 'cli.md' else '')
    made = {ROOT/'README.md': (text, 'nbs/index.ipynb'), **{NBS/'guide'/page: (guide_text(page), origin(page)) for page in GUIDE_NOTEBOOKS}}
    if check:
        stale = [f'{path.relative_to(ROOT)} differs from what {source} makes' for path, (wanted, source) in made.items()
                 if path.read_text() != wanted]
        print(*stale or ['README.md and the guide pages are what they are made from'], sep='\n')
        if stale: print('edit the source, then `make readme`')
        return 1 if stale else 0
    for path, (wanted, source) in made.items():
        path.write_text(wanted)
        print(f'{path.relative_to(ROOT)} written from {source} ({wanted.count(chr(10))} lines)')
    return 0


def page_links(nb: dict) -> dict:
    """Links between pages as the site serves them: notebooks and markdown pages become .html (mkdocs does this for .md pages, not inside
    notebooks)."""
    html = lambda link: re.sub(r'\.(md|ipynb)(?=$|#)', '.html', link)
    for cell in nb['cells']:
        if cell['cell_type'] == 'markdown': cell['source'] = relink(source(cell), html)
    nb['cells'] = shown_cells(nb)
    return nb


def openapi() -> str:
    from facemask.api import create_app
    return json.dumps(create_app().openapi(), indent=1)


def build() -> int:
    shutil.rmtree(PROC, ignore_errors=True)
    shutil.copytree(NBS, PROC, ignore=shutil.ignore_patterns('fixtures', '.ipynb_checkpoints', '_*', '*.py'))
    notebooks = sorted(NBS.glob('*.ipynb'))
    run = [p for p in notebooks if p.name not in NOT_EXECUTED]
    print(f'executing {len(run)} notebooks (slow cells skipped) ...', flush=True)
    done = executed(run)
    for p in notebooks:
        nb = page_links(done[p] if p in done else read_plain(p))
        (PROC/p.name).write_text(json.dumps(nb, indent=1))
    (PROC/'guide'/'openapi.json').write_text(openapi())
    shutil.rmtree(SITE, ignore_errors=True)
    mkdocs = [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--config-file', str(ROOT/'mkdocs.yml')]
    if subprocess.run(mkdocs, cwd=ROOT, env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'}).returncode: return 1
    broken = broken_site_links(SITE)
    if broken:
        print(f'{len(broken)} broken links in the site:', *broken[:50], sep='\n  '); return 1
    print(f'site built in {SITE.relative_to(ROOT)}/ ({sum(1 for _ in SITE.rglob("*.html"))} pages), every internal link resolves: open '
          f'{SITE.relative_to(ROOT)}/index.html')
    return 0


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(); self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ('id', 'name'):
            if a.get(key): self.ids.add(a[key])
        for key in ('href', 'src'):
            if a.get(key) and not (tag == 'link' and a.get('rel') in ('canonical',)): self.links.append(a[key])


def broken_site_links(site: Path) -> list:
    "Every relative href/src of every page that names no file of the site, or an anchor its page lacks."
    parsed = {}
    def page(p: Path):
        if p not in parsed:
            parser = _Links(); parser.feed(p.read_text(errors='replace')); parsed[p] = parser
        return parsed[p]
    broken = []
    for html in sorted(site.rglob('*.html')):
        if html.name == '404.html': continue   # its links are absolute from wherever the site is served
        for link in page(html).links:
            if EXTERNAL.match(link) and not link.startswith('#'): continue
            parts = urlsplit(link)
            base = site if parts.path.startswith('/') else html.parent
            target = html if not parts.path else (base/unquote(parts.path.lstrip('/'))).resolve()
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): broken.append(f'{html.relative_to(site)}: {link} (no such file)'); continue
            if parts.fragment and target.suffix == '.html' and unquote(parts.fragment) not in page(target).ids:
                broken.append(f'{html.relative_to(site)}: {link} (no such anchor)')
    return broken


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    r = sub.add_parser('readme', help='README.md from nbs/index.ipynb, executed')
    r.add_argument('--check', action='store_true', help='only check that README.md is what the notebook makes')
    sub.add_parser('build', help='the documentation site in _docs/ (notebooks executed into _proc/, links checked)')
    sub.add_parser('test', help="every notebook's tests, run as nbdev_test runs them, their outputs kept for build and readme")
    args = parser.parse_args(argv)
    return readme(args.check) if args.command == 'readme' else build() if args.command == 'build' else test()


if __name__ == '__main__':
    sys.exit(main())
