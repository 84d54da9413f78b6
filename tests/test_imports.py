"""facemask/ has no import circle: every import of one module by another, at the top or inside a function, read from the
source (the exported modules), and the strongly connected components of that graph must all be single modules."""
import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / 'facemask'


def imports() -> dict:
    "`{module: {modules of facemask it imports anywhere in its source}}`."
    modules = {p.stem for p in PACKAGE.glob('*.py') if not p.stem.startswith('_')}
    graph = defaultdict(set)
    for module in modules:
        for node in ast.walk(ast.parse((PACKAGE / f'{module}.py').read_text())):
            if isinstance(node, ast.ImportFrom):
                name = node.module or ''
                target = name.split('.')[0] if node.level == 1 else name.split('.')[1] if name.startswith('facemask.') else None
            elif isinstance(node, ast.Import):
                target = next((a.name.split('.')[1] for a in node.names if a.name.startswith('facemask.')), None)
            else: continue
            if target in modules and target != module: graph[module].add(target)
    return {m: graph[m] for m in modules}


def circles(graph: dict) -> list:
    "The groups of modules that import each other, directly or through others (Tarjan's strongly connected components)."
    index, low, stack, found = {}, {}, [], []
    def visit(v):
        index[v] = low[v] = len(index); stack.append(v)
        for w in graph[v]:
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in stack: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v: group.append(stack.pop())
            if len(group) > 1: found.append(sorted(group))
    for v in sorted(graph):
        if v not in index: visit(v)
    return found


def test_no_module_imports_itself_through_others():
    graph = imports()
    assert {'core', 'served', 'predict', 'runs', 'train', 'app', 'ui'} <= set(graph)
    assert circles(graph) == []
    assert not graph['served'] & {'train', 'runs', 'predict', 'faces'}   # the model folder's home is below them all


def test_a_circle_is_found():
    assert circles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
