"""deploy/kubernetes/ validated offline against Kubernetes' schemas and kept consistent with the project.

No cluster runs on these machines (docs/deployment.md, "Kubernetes"): every manifest is checked
against the API schemas that kubernetes-validate ships (strict, so a misspelt field fails), and
the tests below keep the manifests in step with endpoints.yml, the pins, compose's mounts,
deploy/nginx.conf and each other, as tests/test_deploy_config.py does for compose. The Origin check
of the Ingress runs in Debian's nginx.
"""

from __future__ import annotations

import copy
import functools
import http.client
import importlib.metadata
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from cma_stack import ROOT

K8S = ROOT / "deploy" / "kubernetes"
# kubernetes-validate 1.28.3 is the newest release that works with jsonschema 4.17 (Rasa 3.6 requires
# < 4.18; later releases need 4.23+), and 1.28 its newest schemas. Every API used here (apps/v1,
# networking.k8s.io/v1, autoscaling/v2, policy/v1) is stable and served by current clusters too.
KUBERNETES_VERSION = "1.28.0"
NAMESPACED = {
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
}
ORIGIN_SNIPPET = "nginx.ingress.kubernetes.io/configuration-snippet"


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=None)
def _documents() -> Tuple[Tuple[str, Dict[str, Any]], ...]:
    """(file name, document) for every Kubernetes object under deploy/kubernetes/ (not the kustomization)."""
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path.name, document))
    return tuple(found)


def _objects(kind: str) -> List[Dict[str, Any]]:
    return [document for _, document in _documents() if document["kind"] == kind]


def _one(kind: str, name: str) -> Dict[str, Any]:
    matches = [document for document in _objects(kind) if document["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def _kustomization() -> Dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def _rasa_deployment() -> Dict[str, Any]:
    """The Deployment whose pods the Ingress sends /socket.io/ to."""
    return _deployment_behind(_ingress_backend()["name"])


def _deployment_behind(service_name: str) -> Dict[str, Any]:
    selector = _one("Service", service_name)["spec"]["selector"]
    matches = [deployment for deployment in _objects("Deployment") if _selects(selector, deployment)]
    assert len(matches) == 1, f"Service {service_name} selects {len(matches)} Deployments"
    return matches[0]


def _selects(selector: Dict[str, str], deployment: Dict[str, Any]) -> bool:
    labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _container(deployment: Dict[str, Any]) -> Dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def _rasa() -> Dict[str, Any]:
    return _container(_rasa_deployment())


def _environment(container: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Variable name -> where its value comes from: {"value": ...} or {"configMap"/"secret": (name, key)}."""
    environment: Dict[str, Dict[str, Any]] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            for key in _one("ConfigMap", name).get("data", {}):
                environment[key] = {"configMap": (name, key)}
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            for key in _secret_data(_one("Secret", name)):
                environment[key] = {"secret": (name, key)}
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {})
        if "secretKeyRef" in reference:
            environment[variable["name"]] = {
                "secret": (reference["secretKeyRef"]["name"], reference["secretKeyRef"]["key"])
            }
        elif "configMapKeyRef" in reference:
            key_ref = reference["configMapKeyRef"]
            environment[variable["name"]] = {"configMap": (key_ref["name"], key_ref["key"])}
        else:
            environment[variable["name"]] = {"value": variable.get("value")}
    return environment


def _value(container: Dict[str, Any], variable: str) -> Optional[str]:
    """The value a variable gets (a ConfigMap's, a literal, or the placeholder in secret.example.yaml)."""
    source = _environment(container)[variable]
    if "value" in source:
        return source["value"]
    kind, (name, key) = next((kind, reference) for kind, reference in source.items())
    data = _one("ConfigMap", name)["data"] if kind == "configMap" else _secret_data(_one("Secret", name))
    return data[key]


def _autoscaler() -> Dict[str, Any]:
    autoscalers = _objects("HorizontalPodAutoscaler")
    assert len(autoscalers) == 1
    return autoscalers[0]


def _secret_data(secret: Dict[str, Any]) -> Dict[str, str]:
    return {**secret.get("data", {}), **secret.get("stringData", {})}


def _ingress() -> Dict[str, Any]:
    ingresses = _objects("Ingress")
    assert len(ingresses) == 1
    return ingresses[0]


def _ingress_backend() -> Dict[str, Any]:
    paths = [path for rule in _ingress()["spec"]["rules"] for path in rule["http"]["paths"]]
    assert len(paths) == 1, paths
    return paths[0]["backend"]["service"]


def _annotations() -> Dict[str, str]:
    return _ingress()["metadata"]["annotations"]


def _container_port(deployment: Dict[str, Any], port: Any) -> int:
    """A port given by number or by the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    named = {entry["name"]: entry["containerPort"] for entry in _container(deployment).get("ports", [])}
    assert port in named, f"no container port named {port!r} in {deployment['metadata']['name']}"
    return named[port]


def _service_target(service_name: str, port: Any) -> int:
    """The container port a Service's port (by number or name) reaches."""
    service = _one("Service", service_name)
    ports = [entry for entry in service["spec"]["ports"] if port in (entry["port"], entry.get("name"))]
    assert len(ports) == 1, (service_name, port)
    return _container_port(_deployment_behind(service_name), ports[0].get("targetPort", ports[0]["port"]))


def _quantity(value: Any) -> float:
    """A Kubernetes quantity ("1", "500m", "1Gi") as a number (cores or bytes)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?", str(value))
    assert match, value
    return float(match.group(1)) * {None: 1, "m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[match.group(2)]


def _dockerfile() -> str:
    return (K8S / "Dockerfile.rasa").read_text()


def _copies(dockerfile: str) -> Dict[str, str]:
    """COPY destination -> source (one source per COPY line)."""
    copies = {}
    for source, destination in re.findall(r"^COPY (\S+) (\S+)$", dockerfile, re.MULTILINE):
        copies[destination.rstrip("/")] = source.rstrip("/")
    return copies


def _pins(path: Path) -> Dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.split("[")[0].strip().lower()] = version.strip()
    return pins


def _arguments(container: Dict[str, Any], flag: str) -> List[str]:
    """The values after `flag` up to the next flag."""
    args = container["args"]
    assert args.count(flag) == 1, flag
    values = []
    for argument in args[args.index(flag) + 1 :]:
        if argument.startswith("--"):
            break
        values.append(argument)
    return values


def _snippet_origins() -> List[str]:
    """The origins in the Ingress's Origin check, unescaped."""
    snippet = _annotations()[ORIGIN_SNIPPET]
    alternatives = re.search(r'"\^\(:\|\[\^:\]\*:\(([^)]*)\)\)\$"', snippet)
    assert alternatives, snippet
    return [origin.replace("\\.", ".") for origin in alternatives.group(1).split("|")]


# --------------------------------------------------------------------------- schemas


@pytest.mark.parametrize(
    "name,document",
    list(_documents()),
    ids=[f"{name}:{document['kind']}/{document['metadata']['name']}" for name, document in _documents()],
)
def test_manifest_validates_against_the_kubernetes_schema(name: str, document: Dict[str, Any]) -> None:
    """Strict: an unknown or misspelt field fails, as does a kind or apiVersion Kubernetes does not have."""
    assert kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True) == "1.28"


def test_strict_validation_rejects_a_broken_manifest() -> None:
    """The check above can fail: a misspelt probe, a wrong type and a missing field are each rejected."""
    deployment = _rasa_deployment()
    breakages = {
        "misspelt field": lambda d: _container(d).__setitem__("readinesProbe", _container(d)["readinessProbe"]),
        "string replicas": lambda d: d["spec"].__setitem__("replicas", "two"),
        "unquoted env value": lambda d: _container(d)["env"].append({"name": "X", "value": 1}),
        "no selector": lambda d: d["spec"].pop("selector"),
    }
    for label, breakage in breakages.items():
        broken = copy.deepcopy(deployment)
        breakage(broken)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
            pytest.fail(f"{label}: accepted")
    ingress = copy.deepcopy(_ingress())
    ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/limit-rps"] = 10  # annotations are strings
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(ingress, KUBERNETES_VERSION, strict=True)


def test_validation_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The schemas ship inside the package: validating works on a machine (or CI) without network access."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access during validation: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for _, document in _documents():
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_validator_is_pinned_and_installed() -> None:
    """make test installs requirements-dev.txt with constraints.txt: both name the version the schemas above assume."""
    wanted = _pins(ROOT / "requirements-dev.txt")["kubernetes-validate"]
    assert _pins(ROOT / "constraints.txt")["kubernetes-validate"] == wanted
    assert importlib.metadata.version("kubernetes-validate") == wanted
    assert KUBERNETES_VERSION in kubernetes_validate.utils.all_versions()


def test_kustomization_applies_every_manifest_but_the_secret_example() -> None:
    """`kubectl apply -k` must not create the placeholder Secret, and must not miss a manifest."""
    kustomization = _kustomization()
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    manifests = sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")
    assert sorted(listed) == sorted(set(manifests) - {"secret.example.yaml"}), listed
    assert listed.index("namespace.yaml") == 0
    for name, document in _documents():
        if document["kind"] in NAMESPACED:
            assert document["metadata"].get("namespace") == kustomization["namespace"], name
        else:
            assert document["kind"] == "Namespace" and document["metadata"]["name"] == kustomization["namespace"]


# --------------------------------------------------------------------------- Rasa and its image


def test_every_variable_endpoints_yml_reads_is_set_for_rasa() -> None:
    """Rasa refuses to start on an endpoints.yml variable left unset; the ConfigMap and Secret set them all."""
    variables = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text()))
    environment = _environment(_rasa())
    assert variables and variables <= set(environment), variables - set(environment)
    assert _value(_rasa(), "TRACKER_STORE_URL").startswith("postgresql://")


def test_the_replicas_share_conversations_through_the_atomic_redis_lock_store() -> None:
    """Rasa's own `redis` lock store can let two replicas serve one conversation at once (addons/lock_store.py)."""
    from rasa.shared.utils.common import class_from_module_path

    from addons.lock_store import AtomicRedisLockStore

    assert class_from_module_path(_value(_rasa(), "LOCK_STORE_TYPE")) is AtomicRedisLockStore
    assert _autoscaler()["spec"]["minReplicas"] >= 2


def test_session_secret_and_database_url_come_from_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets never sit in the pod spec or the ConfigMap; the example's placeholders cannot run a site."""
    from addons.channels import SessionSigner

    environment = _environment(_rasa())
    for variable in ("SESSION_SECRET", "TRACKER_STORE_URL"):
        assert "secret" in environment[variable], f"{variable} must come from a Secret"
    for configmap in _objects("ConfigMap"):
        assert not {"SESSION_SECRET", "TRACKER_STORE_URL", "RASA_API_TOKEN"} & set(configmap.get("data", {}))
    # Applied by mistake, the example's SESSION_SECRET is refused by the channel (Rasa does not start).
    placeholder = _value(_rasa(), "SESSION_SECRET")
    monkeypatch.setenv("SESSION_SECRET", placeholder)
    monkeypatch.delenv("SESSION_SECRET_FILE", raising=False)
    with pytest.raises(ValueError, match="at least 32 characters"):
        SessionSigner.from_env()
    assert "CHANGE-ME" in _value(_rasa(), "TRACKER_STORE_URL")


def test_every_referenced_configmap_and_secret_key_exists() -> None:
    """A missing key leaves the pod in CreateContainerConfigError; the Secret's shape is secret.example.yaml."""
    for deployment in _objects("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for variable, source in _environment(container).items():
                if "configMap" in source:
                    name, key = source["configMap"]
                    assert key in _one("ConfigMap", name).get("data", {}), (variable, name, key)
                if "secret" in source:
                    name, key = source["secret"]
                    assert key in _secret_data(_one("Secret", name)), (variable, name, key)


def test_rasa_image_installs_the_socketio_pins() -> None:
    """The stock image's socket.io may drop bot replies (RasaHQ/rasa#13027): the Kubernetes image installs the pins."""
    dockerfile = _dockerfile()
    pins = _pins(ROOT / "requirements.txt")
    constraints = _pins(ROOT / "constraints.txt")
    assert re.search(rf"^FROM rasa/rasa:{re.escape(pins['rasa'])}-full$", dockerfile, re.MULTILINE)
    installs = re.findall(r"^RUN pip install (.+)$", dockerfile, re.MULTILINE)
    compose_installs = re.findall(
        r"^RUN pip install (.+)$", (ROOT / "deploy" / "Dockerfile.rasa").read_text(), re.MULTILINE
    )
    assert installs == compose_installs, "the same packages as deploy/Dockerfile.rasa"
    for package in ("python-socketio", "python-engineio"):
        pinned = re.findall(rf"(?<![\w-]){package}==(\S+)", " ".join(installs), re.IGNORECASE)
        assert pinned == [constraints[package]], (package, pinned, constraints[package])
    assert dockerfile.strip().splitlines()[-1] == "USER 1001", "the image runs as the official image's user"


def test_images_are_tagged_with_the_pinned_versions() -> None:
    """The tag says which Rasa / rasa-sdk an image holds (the '-N' suffix counts this project's builds)."""
    pins = _pins(ROOT / "requirements.txt")
    assert re.fullmatch(rf"[\w.-]+(/[\w.-]+)+:{re.escape(pins['rasa'])}-\d+", _rasa()["image"]), _rasa()["image"]
    actions = _container(_deployment_behind(_action_service()))
    assert re.fullmatch(rf"[\w.-]+(/[\w.-]+)+:{re.escape(pins['rasa-sdk'])}-\d+", actions["image"]), actions["image"]
    assert f"FROM rasa/rasa-sdk:{pins['rasa-sdk']}" in (ROOT / "deploy" / "Dockerfile.actions").read_text()


def test_rasa_image_contains_what_compose_mounts() -> None:
    """Compose mounts the model, code and knowledge from the host; in Kubernetes the image carries the same paths."""
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    copies = _copies(_dockerfile())
    mounted = {}
    for volume in compose["services"]["rasa"]["volumes"]:
        source, target = volume.split(":")[:2]
        mounted[target] = (ROOT / "deploy" / source).resolve().relative_to(ROOT).as_posix()
    model = _arguments(_rasa(), "--model")[0]
    mounted_model = {
        f"{target}/{Path(model).name}": f"{source}/{Path(model).name}"
        for target, source in mounted.items()
        if target == f"/app/{Path(model).parent}"
    }
    expected = {target: source for target, source in mounted.items() if target != f"/app/{Path(model).parent}"}
    assert copies == {**expected, **mounted_model}, copies
    for source in copies.values():
        if not source.startswith(("models/", "build/")):  # made by `make train vocab` before the build
            assert (ROOT / source).exists(), source


def test_rasa_runs_the_copied_model_without_the_http_api() -> None:
    """`rasa run` with the files in the image, on the port the Service targets, with no API and no token in args."""
    container = _rasa()
    args = container["args"]
    assert args[0] == "run"
    workdir = container["workingDir"]
    copied = set(_copies(_dockerfile()))
    for flag in ("--model", "--endpoints", "--credentials"):
        (path,) = _arguments(container, flag)
        assert f"{workdir}/{path}" in copied, (flag, path)
    assert _arguments(container, "--port") == [str(_container_port(_rasa_deployment(), "http"))]
    assert "--enable-api" not in args and not any(arg.startswith("--auth-token") for arg in args)
    assert not any("TOKEN" in variable for variable in _environment(container))
    origins = _arguments(container, "--cors")
    assert origins and all(re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?", origin) for origin in origins), origins


def test_rasa_sees_the_students_address_behind_the_ingress() -> None:
    """Behind one proxy Rasa's per-address limits read X-Forwarded-For's last entry; no telemetry leaves the site."""
    assert _value(_rasa(), "SANIC_PROXIES_COUNT") == "1"
    assert _value(_rasa(), "RASA_TELEMETRY_ENABLED") == "false"
    for service in _objects("Service"):
        assert service["spec"].get("type", "ClusterIP") in {"ClusterIP", "ExternalName"}, "reached via the Ingress only"


def test_probes() -> None:
    """Rasa answers GET / once the model is loaded; the action server has /health. Start-up gets a minute at least."""
    deployment = _rasa_deployment()
    rasa = _rasa()
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        check = rasa[probe]["httpGet"]
        assert check["path"] == "/" and _container_port(deployment, check["port"]) == 5005, probe
    startup = rasa["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60, "model load takes 20-40 s on a slow node"
    assert rasa["livenessProbe"].get("initialDelaySeconds", 0) >= 30
    actions_deployment = _deployment_behind(_action_service())
    actions = _container(actions_deployment)
    for probe in ("readinessProbe", "livenessProbe"):
        check = actions[probe]["httpGet"]
        assert check["path"] == "/health" and _container_port(actions_deployment, check["port"]) == 5055, probe


def test_resources() -> None:
    """Requests sized from make bench (Rasa ~620 MB, one core); the HPA's CPU percentage needs a CPU request."""
    resources = _rasa()["resources"]
    assert _quantity(resources["requests"]["cpu"]) >= 0.5
    assert _quantity(resources["requests"]["memory"]) >= 768 * 2**20
    assert _quantity(resources["limits"]["memory"]) > _quantity(resources["requests"]["memory"])
    actions = _container(_deployment_behind(_action_service()))["resources"]
    assert _quantity(actions["requests"]["memory"]) >= 128 * 2**20
    assert _quantity(actions["limits"]["memory"]) > _quantity(actions["requests"]["memory"])


def test_pods_run_unprivileged() -> None:
    """Non-root, no privilege escalation, no capabilities, no service-account token (no pod calls the API)."""
    for deployment in _objects("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["metadata"]["name"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
            volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp (Rasa unpacks the model there)"


# --------------------------------------------------------------------------- wiring


def _action_service() -> str:
    return urlsplit(_value(_rasa(), "ACTION_SERVER_URL")).hostname


def test_services_select_the_deployments_pods() -> None:
    """A selector that matches no pod leaves a Service (or budget, or policy) silently empty."""
    for deployment in _objects("Deployment"):
        assert _selects(deployment["spec"]["selector"]["matchLabels"], deployment), deployment["metadata"]["name"]
    for service in _objects("Service"):
        if service["spec"].get("type") == "ExternalName":
            continue
        deployment = _deployment_behind(service["metadata"]["name"])
        for port in service["spec"]["ports"]:
            _container_port(deployment, port["targetPort"])
    for budget in _objects("PodDisruptionBudget"):
        assert _selects(budget["spec"]["selector"]["matchLabels"], _rasa_deployment())
        assert budget["spec"]["minAvailable"] < _autoscaler()["spec"]["minReplicas"], "drains must be possible"
    for policy in _objects("NetworkPolicy"):
        matched = [d for d in _objects("Deployment") if _selects(policy["spec"]["podSelector"]["matchLabels"], d)]
        assert len(matched) == 1, policy["metadata"]["name"]
        for rule in policy["spec"]["ingress"]:
            for port in rule["ports"]:
                _container_port(matched[0], port["port"])


def test_action_server_is_reached_by_rasa_only() -> None:
    """ACTION_SERVER_URL names the action Service and port; only Rasa's pods may connect to it."""
    url = urlsplit(_value(_rasa(), "ACTION_SERVER_URL"))
    assert url.scheme == "http" and url.path == "/webhook"
    assert _service_target(url.hostname, url.port) == 5055
    actions = _deployment_behind(url.hostname)
    (policy,) = [p for p in _objects("NetworkPolicy") if _selects(p["spec"]["podSelector"]["matchLabels"], actions)]
    sources = [source for rule in policy["spec"]["ingress"] for source in rule["from"]]
    assert len(sources) == 1 and _selects(sources[0]["podSelector"]["matchLabels"], _rasa_deployment()), sources


def test_postgresql_and_redis_are_external_services() -> None:
    """The database and Redis run outside: the URLs Rasa gets name ExternalName Services in the namespace."""
    database = urlsplit(_value(_rasa(), "TRACKER_STORE_URL"))
    assert database.port == 5432 and database.path == "/cma_conversations"
    for host in (database.hostname, _value(_rasa(), "REDIS_HOST")):
        service = _one("Service", host)
        assert service["spec"]["type"] == "ExternalName" and "." in service["spec"]["externalName"], host


def test_hpa_scales_the_rasa_deployment() -> None:
    """The autoscaler names the real Deployment and alone sets its count: a `replicas` in the Deployment would be
    re-applied by every `kubectl apply`, scaling a busy site back down."""
    autoscaler = _autoscaler()
    target = autoscaler["spec"]["scaleTargetRef"]
    deployment = _rasa_deployment()
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        "apps/v1",
        "Deployment",
        deployment["metadata"]["name"],
    )
    assert "replicas" not in deployment["spec"]
    assert autoscaler["spec"]["minReplicas"] >= 2
    assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"]
    (metric,) = autoscaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    assert 50 <= metric["resource"]["target"]["averageUtilization"] <= 90
    assert "cpu" in _rasa()["resources"]["requests"], "utilization is a share of the CPU request"


# --------------------------------------------------------------------------- Ingress (deploy/nginx.conf's protections)


def test_ingress_proxies_only_socket_io_to_rasa() -> None:
    """The REST channel (any sender id), Rasa's HTTP API and the action server stay private, as behind nginx."""
    ingress = _ingress()
    assert "defaultBackend" not in ingress["spec"]
    paths = [path for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert [(path["path"], path["pathType"]) for path in paths] == [("/socket.io/", "Prefix")]
    backend = _ingress_backend()
    assert _service_target(backend["name"], backend["port"].get("number", backend["port"].get("name"))) == 5005
    assert _deployment_behind(backend["name"]) is _rasa_deployment()


def test_ingress_serves_https_only() -> None:
    """Every host has TLS and plain HTTP redirects (ingress-nginx then sends HSTS, its default)."""
    ingress = _ingress()
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    tls_hosts = {host for entry in ingress["spec"]["tls"] for host in entry["hosts"]}
    assert hosts and hosts <= tls_hosts
    assert _annotations()["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"


def test_ingress_keeps_socket_io_on_one_pod_and_websockets_open() -> None:
    """socket.io needs every request of a session on one pod. By address, as nginx.conf's ip_hash: the widget
    runs on the school's pages (another origin), whose polling requests send no cookies, so cookie affinity
    would never see its cookie again."""
    annotations = _annotations()
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] in {"$remote_addr", "$binary_remote_addr"}
    assert "nginx.ingress.kubernetes.io/affinity" not in annotations, "cookie affinity takes precedence over the hash"
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{timeout}"]) > 25, "longer than socket.io's ping interval"
    body = re.fullmatch(r"(\d+)k", annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    assert body and 8 <= int(body.group(1)) <= 64, "a socket.io message is a few kB; megabyte bodies must stop here"


def test_ingress_limits_match_nginx_conf() -> None:
    """The same per-address request rate, burst and connection limits as the compose set-up's nginx."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    rate = int(re.search(r"limit_req_zone\s+\$binary_remote_addr zone=\w+:\d+m rate=(\d+)r/s;", conf).group(1))
    burst = int(re.search(r"limit_req zone=\w+ burst=(\d+) nodelay;", conf).group(1))
    connections = int(re.search(r"limit_conn \w+ (\d+);", conf).group(1))
    annotations = _annotations()
    rps = int(annotations["nginx.ingress.kubernetes.io/limit-rps"])
    assert rps == rate
    assert rps * int(annotations["nginx.ingress.kubernetes.io/limit-burst-multiplier"]) == burst
    assert int(annotations["nginx.ingress.kubernetes.io/limit-connections"]) == connections


def test_ingress_origin_list_is_rasas_cors_list() -> None:
    """Pages allowed to open the chat: the Ingress's Origin check and Rasa's --cors must name the same origins."""
    origins = _snippet_origins()
    assert origins and all(re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?", origin) for origin in origins), origins
    assert sorted(origins) == sorted(_arguments(_rasa(), "--cors"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def origin_check() -> Iterator[int]:
    """Debian's nginx with the Ingress's snippet in a /socket.io/ location (as ingress-nginx places it); its port."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (make test installs it)")
    workdir = Path(tempfile.mkdtemp(prefix="cma-k8s-nginx-"))
    port = _free_port()
    temp_paths = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"worker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp_paths}\n    server {{\n        listen 127.0.0.1:{port};\n"
        f"        location /socket.io/ {{\n{_annotations()[ORIGIN_SNIPPET]}\n"
        f'            return 200 "passed\\n";\n        }}\n    }}\n}}\n'
    )
    process = subprocess.Popen(
        [
            nginx,
            "-p",
            str(workdir),
            "-c",
            str(workdir / "nginx.conf"),
            "-e",
            str(workdir / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _status(port: int, headers: Dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/socket.io/?EIO=4&transport=polling", headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_ingress_origin_check_in_nginx(origin_check: int) -> None:
    """The snippet does what deploy/nginx.conf's maps do: listed pages pass; a foreign Origin, a look-alike, or a
    WebSocket upgrade without Origin (never a browser) gets 403. Plain requests without Origin pass (same-origin)."""
    allowed = _snippet_origins()
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    for origin in allowed:
        assert _status(origin_check, {"Origin": origin}) == 200, origin
        assert _status(origin_check, {"Origin": origin, **upgrade}) == 200, origin
    assert _status(origin_check, {}) == 200
    host = urlsplit(allowed[0]).hostname
    for foreign in (
        "https://evil.example",
        f"http://{host}",
        f"https://{host}.evil.example",
        f"https://{host.replace('.', 'x', 1)}",
        f"https://x{host}",
        "null",
    ):
        assert _status(origin_check, {"Origin": foreign}) == 403, foreign
        assert _status(origin_check, {"Origin": foreign, **upgrade}) == 403, foreign
    assert _status(origin_check, upgrade) == 403
