"""The Kubernetes manifest (deploy/kubernetes.yaml): valid against the Kubernetes schemas, and shaped as nbs/guide/deploy.md says."""
import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

MANIFEST = Path(__file__).resolve().parent.parent / 'deploy' / 'kubernetes.yaml'
KUBERNETES = '1.37.0'


@pytest.fixture(scope='module')
def resources():
    return {doc['kind']: doc for doc in yaml.safe_load_all(MANIFEST.read_text())}


def test_every_resource_is_valid_kubernetes(resources):
    for doc in resources.values(): kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_a_broken_resource_is_caught(resources):
    broken = copy.deepcopy(resources['Deployment'])
    broken['spec']['replicas'] = 'two'
    with pytest.raises(kubernetes_validate.ValidationError): kubernetes_validate.validate(broken, KUBERNETES, strict=True)
    broken = copy.deepcopy(resources['Service'])
    broken['spec']['portz'] = broken['spec'].pop('ports')   # strict: an unknown field is an error
    with pytest.raises(kubernetes_validate.ValidationError): kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_replicas_share_state_scale_on_cpu_and_are_ready_on_health(resources):
    deployment, pod = resources['Deployment'], resources['Deployment']['spec']['template']['spec']
    [api] = pod['containers']
    assert deployment['spec']['replicas'] >= 2 and api['readinessProbe']['httpGet']['path'] == '/health'
    assert resources['PersistentVolumeClaim']['spec']['accessModes'] == ['ReadWriteMany']   # every replica mounts the same registry
    assert pod['volumes'][0]['persistentVolumeClaim']['claimName'] == resources['PersistentVolumeClaim']['metadata']['name']
    assert {'name': 'FACEMASK_HOME', 'value': '/state'} in api['env'] and api['volumeMounts'][0]['mountPath'] == '/state'
    hpa = resources['HorizontalPodAutoscaler']['spec']
    assert hpa['scaleTargetRef']['name'] == deployment['metadata']['name'] and hpa['metrics'][0]['resource']['name'] == 'cpu'
    assert resources['Service']['spec']['selector'] == deployment['spec']['selector']['matchLabels']


def test_pods_declare_their_scrape_and_the_example_rules_hold(resources):
    "Prometheus finds each pod's /metrics by its annotations; the example alerting rules are valid and fire on their unit tests' series."
    import shutil, subprocess
    from facemask.alerts import load_rules
    pod = resources['Deployment']['spec']['template']
    [api] = pod['spec']['containers']
    notes = pod['metadata']['annotations']
    assert (notes['prometheus.io/scrape'], notes['prometheus.io/path']) == ('true', '/metrics')
    assert int(notes['prometheus.io/port']) == api['ports'][0]['containerPort']
    assert [r.site for r in load_rules(MANIFEST.parent / 'alerts.example.json')] == ['entrance-a', '*']   # facemask's own rules parse
    promtool = shutil.which('promtool')
    if promtool is None: pytest.skip("no promtool (make prometheus installs Debian's package)")
    for args in (['check', 'rules', 'prometheus-rules.yml'], ['test', 'rules', 'prometheus-rules.test.yml']):
        res = subprocess.run([promtool, *args], cwd=MANIFEST.parent, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr


def test_the_cameras_supervisor_manifest(tmp_path):
    """deploy/cameras.yaml: valid Kubernetes; one supervisor replaced, not doubled; its cameras file is one facemask reads, every
    password in it comes from the Secret, and none is written in the ConfigMap."""
    from facemask.cameras import SECRET_VARIABLE, load_cameras
    docs = {doc['kind']: doc for doc in yaml.safe_load_all((MANIFEST.parent / 'cameras.yaml').read_text())}
    for doc in docs.values(): kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    deployment = docs['Deployment']['spec']
    [container] = deployment['template']['spec']['containers']
    assert deployment['replicas'] == 1 and deployment['strategy']['type'] == 'Recreate'
    assert container['command'] == ['facemask', 'cameras'] and container['args'][0] == '/config/cameras.toml'
    config = tmp_path / 'cameras.toml'
    config.write_text(docs['ConfigMap']['data']['cameras.toml'])
    cameras = load_cameras(config)
    wanted = {name for c in cameras for name in SECRET_VARIABLE.findall(c.url)}
    given = {e['name']: e['valueFrom']['secretKeyRef'] for e in container['env'] if 'valueFrom' in e}
    assert wanted and wanted <= set(given) and all(given[n]['name'] == docs['Secret']['metadata']['name'] for n in wanted)
    assert all(ref['key'] in docs['Secret']['stringData'] for ref in given.values())
    annotations = docs['Deployment']['spec']['template']['metadata']['annotations']
    assert int(annotations['prometheus.io/port']) == container['ports'][0]['containerPort']
