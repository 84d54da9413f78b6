"""The sizes nbs/guide/developing.md sets for facemask/: no module over 600 lines (nbdev's `_modidx.py` aside) and no function
over 60 lines unless the guide names it, with its reason, under "Longer functions"."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 600, 60


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> dict:
    "`{name: lines}` of the functions and methods (nested ones too) of `source` longer than `limit` lines."
    return {n.name: n.end_lineno - n.lineno + 1 for n in ast.walk(ast.parse(source))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit}


def allowed_long_functions() -> set:
    "`module.function` names listed in the developing guide's section on longer functions."
    guide = (ROOT / 'nbs' / 'guide' / 'developing.md').read_text()
    section = re.search(r'\n### Longer functions\n(.*?)(\n#|\Z)', guide, re.S)
    assert section, 'nbs/guide/developing.md lost its "### Longer functions" section'
    return set(re.findall(r'`(\w+\.\w+)`', section[1]))


def modules() -> list:
    return [p for p in sorted((ROOT / 'facemask').glob('*.py')) if p.name != '_modidx.py']


def test_no_module_over_600_lines():
    assert {p.name: n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES} == {}


def test_no_function_over_60_lines_unless_the_guide_says_why():
    long = {f'{p.stem}.{name}': n for p in modules() for name, n in long_functions(p.read_text()).items()}
    assert {name: n for name, n in long.items() if name not in allowed_long_functions()} == {}


def test_a_long_function_is_found():
    body = '\n'.join(f'        x{i} = {i}' for i in range(61))
    source = f'def short():\n    return 1\n\nclass A:\n    def long(self):\n{body}\n'
    assert long_functions(source) == {'long': 62}
