"""deploy/ runs every component as caredesk/components.py defines it: an API, a relay, a consumer
for a service with handlers and a Celery worker for one with tasks, each its own process, plus the
one Celery beat of the system; hardened and probed."""
from __future__ import annotations

import json
import re
import subprocess

import kubernetes_validate
import pytest
import yaml

import caredesk.cli as cli
from caredesk.components import COMPONENTS, SERVICES, TASK_SERVICES
from caredesk.supervisor import SYSTEM_COMMANDS, _background_commands

from tests.deploy.conftest import DEPLOY, ROOT, report, require_tool  # noqa: E402 - after the caredesk imports
OVERLAYS = DEPLOY / "k8s" / "overlays"
OVERLAY = OVERLAYS / "production"
# Kinds of the operators the production overlay needs: not in the Kubernetes schemas, checked field
# by field in test_operators.py.
OPERATOR_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Database"),
                  ("postgresql.cnpg.io/v1", "ScheduledBackup"), ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
                  ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}
KUBERNETES_VERSION = "1.32.0"  # the kubectl on the machine image; the overlay must stay valid there
COMMAND_OF = {"api": "serve", "relay": "relay", "consumer": "consume", "tasks": "tasks"}
PROCESS_OF = {command: process for process, command in COMMAND_OF.items()}
# Processes of the whole system rather than of one component: the deployment (or compose service)
# name and the command line.
SYSTEM_PROCESSES = {"caredesk-beat": ["beat"]}
COMPOSE_SYSTEM_PROCESSES = {"beat": ["beat"]}


def expected_processes() -> dict[str, set[str]]:
    """component -> its processes: an API and a relay each, a consumer where there are handlers,
    a Celery worker where there are tasks."""
    return {name: {"api", "relay"}
            | ({"consumer"} if component.handlers else set())
            | ({"tasks"} if name in TASK_SERVICES else set())
            for name, component in COMPONENTS.items()}


def kustomize(target: Path) -> list[dict]:
    result = subprocess.run([require_tool("kubectl"), "kustomize", str(target)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=["dev", "production", "production-direct-api"])
def rendered(request) -> list[dict]:
    """Each overlay, built."""
    return kustomize(OVERLAYS / request.param)


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return kustomize(OVERLAY)


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def workloads(docs: list[dict]) -> dict[str, dict]:
    """Deployments and Jobs by name."""
    return {**of_kind(docs, "Deployment"), **of_kind(docs, "Job")}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def only_container(workload: dict) -> dict:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, workload["metadata"]["name"]
    return containers[0]


def env_names(container: dict) -> set[str]:
    return {item["name"] for item in container.get("env", [])}


def settings_configmap(docs: list[dict]) -> dict[str, str]:
    (configmap,) = [doc for doc in docs if doc["kind"] == "ConfigMap"
                    and doc["metadata"]["name"].startswith("caredesk-settings")]
    return configmap["data"]


@pytest.fixture
def parsed_command_lines(monkeypatch):
    """Parse a `caredesk` command line with the real parser, running nothing."""
    calls = []
    for name in ("init", "serve", "relay", "consume", "tasks", "beat", "worker", "dead_letters", "up",
                 "wait_migrated", "health"):
        monkeypatch.setattr(cli, name, lambda args, name=name: calls.append((name, args)))

    def parse(argv: list[str]):
        calls.clear()
        cli.main(list(argv))
        (call,) = calls
        return call

    return parse


def test_the_processes_are_those_the_supervisor_runs_with_a_real_broker():
    """Production splits a component as `caredesk up` does locally with RabbitMQ; the supervisor's
    one Celery worker serves every task queue that production gives a worker of its own."""
    for name, processes in expected_processes().items():
        background = _background_commands(name, {"CAREDESK_BROKER_URL": "amqp://broker"})
        assert {PROCESS_OF[command] for command, *_ in background} == processes - {"api", "tasks"}, name
        assert all(rest == [name] for _, *rest in background), name
    assert SYSTEM_COMMANDS["tasks"] == ["tasks", *sorted({c for c, p in expected_processes().items() if "tasks" in p},
                                                        key=TASK_SERVICES.index)]
    assert sorted(SYSTEM_PROCESSES.values()) == sorted(
        command for name, command in SYSTEM_COMMANDS.items() if name != "tasks")


# --- Kubernetes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", ["dev", "production", "production-direct-api"])
def test_overlay_validates_strictly_against_the_kubernetes_schemas(overlay):
    errors, validated, operator_resources = [], 0, 0
    for doc in kustomize(OVERLAYS / overlay):
        if (doc["apiVersion"], doc["kind"]) in OPERATOR_KINDS:
            operator_resources += 1  # no schema ships for them: test_operators.py
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            validated += 1
        except (kubernetes_validate.ValidationError, kubernetes_validate.utils.SchemaNotFoundError) as error:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {getattr(error, 'message', error)!r}")
    report(f"DEPLOY kubernetes-validate --strict {KUBERNETES_VERSION} overlays/{overlay}: valid={validated} "
           f"invalid={len(errors)} operator_resources={operator_resources}")
    assert not errors, errors
    assert validated > 0


def test_base_renders_on_its_own():
    names = set(of_kind(kustomize(DEPLOY / "k8s" / "base"), "Deployment"))
    assert names == {f"{c}-{p}" for c, processes in expected_processes().items() for p in processes} \
        | set(SYSTEM_PROCESSES)


def test_each_process_of_each_component_runs_as_its_own_deployment(rendered):
    found: dict[str, set[str]] = {}
    for name, deployment in of_kind(rendered, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        component, process = labels["caredesk/component"], labels["app.kubernetes.io/component"]
        assert name == f"{component}-{process}"
        assert deployment["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert labels["app.kubernetes.io/name"] == name
        args = only_container(deployment)["args"]
        if name in SYSTEM_PROCESSES:
            assert args == SYSTEM_PROCESSES[name]
            continue
        assert args[:2] == [COMMAND_OF[process], component], name
        found.setdefault(component, set()).add(process)
    assert found == expected_processes()
    consumers = {component for component, processes in found.items() if "consumer" in processes}
    assert consumers <= set(SERVICES)  # `caredesk consume` takes services only


def test_every_command_line_is_one_caredesk_accepts(rendered, parsed_command_lines):
    for name, workload in workloads(rendered).items():
        command, args = parsed_command_lines(only_container(workload)["args"])
        if name not in ("caredesk-init", *SYSTEM_PROCESSES):
            labels = workload["spec"]["template"]["metadata"]["labels"]
            process = labels["app.kubernetes.io/component"]
            component = args.services[0] if command == "tasks" else args.component
            assert (command, component) == (COMMAND_OF[process], labels["caredesk/component"]), name
        if command == "serve":
            assert args.host == "0.0.0.0", name
            assert args.port == COMPONENTS[args.component].default_port, name


def test_processes_without_a_port_are_probed_by_caredesk_health(rendered):
    for name, deployment in of_kind(rendered, "Deployment").items():
        if deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "api":
            continue
        container = only_container(deployment)
        assert not {"ports", "readinessProbe"} & set(container), name
        for probe in ("startupProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"] == ["caredesk", "health"], (name, probe)
            assert container[probe]["timeoutSeconds"] >= 5, (name, probe)
        # the liveness check tolerates a quiet loop longer than the probe's whole failure window
        window = container["livenessProbe"]["periodSeconds"] * container["livenessProbe"]["failureThreshold"]
        assert window >= 60, name


def test_pods_wait_for_their_database_to_be_migrated(rendered, parsed_command_lines):
    for name, deployment in of_kind(rendered, "Deployment").items():
        main = only_container(deployment)
        databases = [item for item in main["env"] if item["name"].endswith("_DATABASE_URL")]
        init_containers = pod_spec(deployment).get("initContainers", [])
        if not databases:
            assert not init_containers, name
            continue
        (wait,) = init_containers
        command, args = parsed_command_lines(wait["args"])
        assert command == "wait_migrated" and args.components == [], name  # the databases in its env
        assert wait["image"] == main["image"], name
        assert [item for item in wait["env"] if item["name"].endswith("_DATABASE_URL")] == databases, name
        assert wait["securityContext"] == main["securityContext"], name
        assert {"cpu", "memory"} <= set(wait["resources"]["limits"]), name


def test_api_containers_probe_healthz_for_liveness_and_readyz_for_readiness(rendered):
    apis = {name: d for name, d in of_kind(rendered, "Deployment").items() if name.endswith("-api")}
    assert set(apis) == {f"{name}-api" for name in COMPONENTS}
    for name, deployment in apis.items():
        container = only_container(deployment)
        port = COMPONENTS[name.removesuffix("-api")].default_port
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name


def test_every_workload_has_resource_requests_and_limits(rendered):
    for name, workload in workloads(rendered).items():
        resources = only_container(workload)["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{name}: {bound}"


def test_every_workload_runs_as_non_root_on_a_read_only_root(rendered):
    for name, workload in workloads(rendered).items():
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["automountServiceAccountToken"] is False, name
        container = only_container(workload)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        # gunicorn and tempfile need a writable /tmp
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name


def test_each_process_gets_its_own_database_and_the_broker_from_secrets(rendered):
    (settings_name,) = [doc["metadata"]["name"] for doc in rendered if doc["kind"] == "ConfigMap"
                        and doc["metadata"]["name"].startswith("caredesk-settings")]
    for name, workload in workloads(rendered).items():
        container = only_container(workload)
        process = workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        secrets = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in container["env"]
                   if "secretKeyRef" in item.get("valueFrom", {})}
        databases = {key for key in env_names(container) if key.endswith("_DATABASE_URL")}
        if name == "caredesk-init":
            assert databases == {f"CAREDESK_{c.upper()}_DATABASE_URL" for c in COMPONENTS}
            assert secrets["CAREDESK_ADMIN_PASSWORD"] == {"name": "caredesk-admin", "key": "password"}
        elif name in SYSTEM_PROCESSES:
            assert databases == set(), name  # beat only publishes task messages
        else:
            component = workload["spec"]["template"]["metadata"]["labels"]["caredesk/component"]
            assert databases == {f"CAREDESK_{component.upper()}_DATABASE_URL"}, name
        for key in databases:
            assert secrets[key]["name"] == "caredesk-database-urls", name
        assert secrets["CAREDESK_BROKER_URL"] == {"name": "caredesk-broker", "key": "url"}, name
        assert container["envFrom"] == [{"configMapRef": {"name": settings_name}}], name


def test_secrets_are_referenced_never_shipped(rendered):
    assert not of_kind(rendered, "Secret")


def test_signing_keys_reach_only_the_processes_that_use_them(rendered):
    settings = settings_configmap(rendered)
    public_key, private_key = settings["CAREDESK_JWT_PUBLIC_KEY_FILE"], settings["CAREDESK_GATEWAY_PRIVATE_KEY_FILE"]
    for name, workload in workloads(rendered).items():
        pod, container = pod_spec(workload), only_container(workload)
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        key_files = set()
        for mount in container["volumeMounts"]:
            secret = volumes[mount["name"]].get("secret")
            if secret:
                assert secret["secretName"] == "caredesk-signing-keys" and mount["readOnly"] is True, name
                key_files |= {f"{mount['mountPath']}/{item['path']}" for item in secret["items"]}
        if name == "gateway-api":
            assert key_files == {public_key, private_key}
        elif name.endswith("-api"):
            assert key_files == {public_key}, name
        elif name == "caredesk-init":
            # init reads the private key and writes the public half somewhere writable
            assert key_files == {private_key}
            public_override = {e["name"]: e.get("value") for e in container["env"]}["CAREDESK_JWT_PUBLIC_KEY_FILE"]
            assert public_override.startswith("/tmp/")
        else:
            assert not key_files, name


def test_apis_have_a_service_and_a_disruption_budget(rendered):
    services, budgets = of_kind(rendered, "Service"), of_kind(rendered, "PodDisruptionBudget")
    for component in COMPONENTS.values():
        name = f"{component.name}-api"
        pod_labels = of_kind(rendered, "Deployment")[name]["spec"]["template"]["metadata"]["labels"]
        service = services[name]
        assert service["spec"]["ports"][0]["port"] == component.default_port
        assert service["spec"]["ports"][0]["targetPort"] == "http"
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert budgets[name]["spec"]["minAvailable"] >= 1
    for name, deployment in of_kind(rendered, "Deployment").items():
        if name.endswith(("-consumer", "-tasks", "-beat")):
            pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), name


def test_production_autoscales_every_api_on_cpu_from_two_pods(production):
    deployments = of_kind(production, "Deployment")
    autoscalers = of_kind(production, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {f"{name}-api" for name in COMPONENTS}
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert autoscaler["spec"]["minReplicas"] >= 2, name
        assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"], name
        (metric,) = autoscaler["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu", name
        # a fixed count would fight the autoscaler on every apply
        assert "replicas" not in deployments[name]["spec"], name


def test_production_fixes_the_count_only_of_relays_and_beat(production):
    """Consumers and Celery workers scale on queue depth (KEDA, test_operators.py), APIs on CPU."""
    counts = {name: d["spec"].get("replicas") for name, d in of_kind(production, "Deployment").items()}
    fixed = {name for name, count in counts.items() if count is not None}
    assert fixed == {f"{c}-relay" for c in COMPONENTS} | set(SYSTEM_PROCESSES)
    assert all(counts[name] == 1 for name in SYSTEM_PROCESSES)


def test_dev_runs_one_pod_of_each_process():
    dev = kustomize(OVERLAYS / "dev")
    for name, deployment in of_kind(dev, "Deployment").items():
        assert deployment["spec"].get("replicas", 1) == 1, name
    (autoscaler,) = of_kind(dev, "HorizontalPodAutoscaler").values()
    assert autoscaler["spec"]["minReplicas"] == autoscaler["spec"]["maxReplicas"] == 1
    servers = of_kind(dev, "StatefulSet")
    assert set(servers) == {"postgres", "rabbitmq"}
    assert all(server["spec"]["replicas"] == 1 for server in servers.values())
    assert {"postgres", "rabbitmq"} <= set(of_kind(dev, "Service"))


def test_every_deployment_spreads_over_nodes_and_in_production_zones(rendered):
    for name, deployment in of_kind(rendered, "Deployment").items():
        keys = {c["topologyKey"] for c in pod_spec(deployment).get("topologySpreadConstraints", [])}
        if deployment["metadata"]["namespace"] == "caredesk":
            assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}, name


def test_gateway_reaches_each_service_api_through_its_service(rendered):
    settings = settings_configmap(rendered)
    services = of_kind(rendered, "Service")
    for service in SERVICES:
        url = settings[f"CAREDESK_GATEWAY_{service.upper()}_URL"]
        host, port = re.fullmatch(r"http://([a-z-]+):(\d+)", url).groups()
        assert services[host]["spec"]["ports"][0]["port"] == int(port) == COMPONENTS[service].default_port


def test_direct_api_routing_sends_each_resource_to_its_service_and_the_rest_to_the_gateway():
    """overlays/production-direct-api: the ingress routes /api/v1/<resource> straight to the service
    that owns it (the gateway's own table), on the gateway's host and TLS; everything else (login,
    directory, the card, the console) still reaches the gateway; the ingress controller may reach
    the services' APIs, nothing else new may."""
    from gateway.routing.policies import DEFAULT_TIMEOUT_OVERRIDES
    from gateway.routing.proxy import RESOURCE_OWNERS

    docs = kustomize(OVERLAYS / "production-direct-api")
    ingresses = of_kind(docs, "Ingress")
    direct, gateway = ingresses["caredesk-api-direct"], ingresses["caredesk"]
    assert direct["spec"]["rules"][0]["host"] == gateway["spec"]["rules"][0]["host"] != "set-in-caredesk-deploy-values"
    assert direct["spec"]["tls"] == gateway["spec"]["tls"]
    assert direct["spec"]["ingressClassName"] == gateway["spec"]["ingressClassName"]
    routes = {path["path"]: path["backend"]["service"]["name"] for path in direct["spec"]["rules"][0]["http"]["paths"]}
    # the routes the gateway gives a longer read timeout stay with it (the longest path wins)
    kept = {f"/api/v1/{pattern.partition('=')[0]}": "gateway-api" for pattern in DEFAULT_TIMEOUT_OVERRIDES.split(",")}
    assert all("*" not in path for path in kept)
    assert routes == {f"/api/v1/{resource}": f"{owner}-api" for resource, owner in RESOURCE_OWNERS.items()} | kept
    assert [path["path"] for path in gateway["spec"]["rules"][0]["http"]["paths"]] == ["/"]
    services = of_kind(docs, "Service")
    assert all(name in services for name in routes.values())
    annotations = direct["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "11m"  # the gateway's largest (attachments)
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "30"
    policies = of_kind(docs, "NetworkPolicy")
    assert set(policies) - set(of_kind(kustomize(OVERLAY), "NetworkPolicy")) == {
        "services-api-ingress-from-ingress-controller"}
    opened = policies["services-api-ingress-from-ingress-controller"]
    assert opened["spec"]["podSelector"] == policies["services-api-ingress"]["spec"]["podSelector"]
    assert [rule["ports"] for rule in opened["spec"]["ingress"]] == [[{"port": "http", "protocol": "TCP"}]]


def test_the_init_job_runs_caredesk_init(rendered):
    job = of_kind(rendered, "Job")["caredesk-init"]
    assert only_container(job)["args"] == ["init"]
    assert pod_spec(job)["restartPolicy"] in {"OnFailure", "Never"}


def test_every_pod_runs_the_one_image(rendered):
    images = {only_container(workload)["image"] for workload in workloads(rendered).values()}
    assert len(images) == 1


# --- compose ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def caredesk_services(compose: dict) -> dict[str, dict]:
    image = compose["services"]["init"]["image"]
    return {name: service for name, service in compose["services"].items() if service.get("image") == image}


def compose_process(name: str) -> tuple[str, str]:
    if name in COMPOSE_SYSTEM_PROCESSES:
        return "caredesk", name
    component, _, process = name.partition("-")
    return component, process or "api"


def test_compose_runs_each_process_in_its_own_container(compose):
    services = caredesk_services(compose)
    assert set(compose["services"]) - set(services) == {"postgres", "rabbitmq", "mail-catcher"}
    assert services["init"]["command"] == ["init"]
    found: dict[str, set[str]] = {}
    for name, service in services.items():
        if name == "init":
            continue
        if name in COMPOSE_SYSTEM_PROCESSES:
            assert service["command"] == COMPOSE_SYSTEM_PROCESSES[name]
            continue
        component, process = compose_process(name)
        assert service["command"][:2] == [COMMAND_OF[process], component], name
        found.setdefault(component, set()).add(process)
    assert found == expected_processes()


def test_compose_command_lines_are_ones_caredesk_accepts(compose, parsed_command_lines):
    for name, service in caredesk_services(compose).items():
        command, args = parsed_command_lines(service["command"])
        if name not in ("init", *COMPOSE_SYSTEM_PROCESSES):
            component, process = compose_process(name)
            assert (command, args.services[0] if command == "tasks" else args.component) == \
                (COMMAND_OF[process], component), name
        if command == "serve":
            assert args.host == "0.0.0.0", name
            assert args.port == COMPONENTS[args.component].default_port, name


def test_compose_publishes_only_the_gateway_and_the_mail_catchers_page(compose):
    published = {name: service["ports"] for name, service in compose["services"].items() if "ports" in service}
    assert published == {"gateway": ["${CAREDESK_PORT:-8000}:8000"],
                         "mail-catcher": ["${CAREDESK_MAIL_UI_PORT:-8025}:8025"]}


def test_compose_starts_processes_after_init_and_init_after_its_servers(compose):
    services = caredesk_services(compose)
    assert services["init"]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                              "rabbitmq": {"condition": "service_healthy"}}
    assert services["init"]["restart"] == "no"
    expected_extra = {"gateway": {f"{s}": {"condition": "service_healthy"} for s in SERVICES},
                      "notifications-tasks": {"mail-catcher": {"condition": "service_healthy"}}}
    for name, service in services.items():
        if name != "init":
            assert service["depends_on"] == {"init": {"condition": "service_completed_successfully"},
                                             **expected_extra.get(name, {})}, name
    for server in ("postgres", "rabbitmq", "mail-catcher"):
        assert "healthcheck" in compose["services"][server]


def test_compose_checks_the_health_of_every_long_running_container(compose):
    for name, service in caredesk_services(compose).items():
        if name == "init":
            assert service["healthcheck"] == {"disable": True}  # one-shot
            continue
        test = service["healthcheck"]["test"]
        component, process = compose_process(name)
        if process == "api":
            assert f":{COMPONENTS[component].default_port}/readyz" in " ".join(test), name
        else:
            assert test == ["CMD", "caredesk", "health"], name
        # every condition a container waits on is one its target can reach
        for target, condition in service["depends_on"].items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in compose["services"][target], (name, target)


def test_compose_sends_mail_to_the_catcher_unless_told_otherwise(compose):
    environment = compose["services"]["notifications-tasks"]["environment"]
    assert environment["CAREDESK_NOTIFICATIONS_SMTP_HOST"] == "${CAREDESK_SMTP_HOST:-mail-catcher}"
    assert environment["CAREDESK_NOTIFICATIONS_SMTP_PORT"] == "${CAREDESK_SMTP_PORT:-1025}"
    assert environment["CAREDESK_NOTIFICATIONS_SMTP_SECURITY"] == "${CAREDESK_SMTP_SECURITY:-none}"
    catcher = compose["services"]["mail-catcher"]
    assert re.fullmatch(r"axllent/mailpit:v\d+\.\d+\.\d+", catcher["image"])


def test_compose_file_passes_docker_compose_config(tmp_path):
    """Compose's own schema and interpolation (docker-compose 1.29 from Debian, which runs without a
    daemon; it predates the top-level `name`, so that one line is left out of its copy)."""
    tool = require_tool("docker-compose")
    text = (DEPLOY / "compose.yaml").read_text()
    assert text.count("\nname: caredesk\n") == 1
    copy = DEPLOY / f".compose-check-{tmp_path.name}.yaml"  # beside the original: relative paths hold
    copy.write_text(text.replace("\nname: caredesk\n", "\n"))
    try:
        env = {"PATH": "/usr/bin:/bin", "CAREDESK_POSTGRES_PASSWORD": "p", "CAREDESK_RABBITMQ_PASSWORD": "r",
               "CAREDESK_ADMIN_PASSWORD": "a"}
        result = subprocess.run([tool, "-f", str(copy), "--project-name", "caredesk", "config"], env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        # without the passwords compose refuses to start anything
        missing = subprocess.run([tool, "-f", str(copy), "--project-name", "caredesk", "config"],
                                 env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
                                 check=False)
    finally:
        copy.unlink()
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    report(f"DEPLOY docker-compose config: services={len(resolved['services'])} volumes={len(resolved['volumes'])}")
    assert set(resolved["services"]) == set(yaml.safe_load(text)["services"])
    assert missing.returncode != 0 and "CAREDESK_POSTGRES_PASSWORD" in missing.stderr + missing.stdout, missing.stderr


def test_compose_gives_each_process_its_own_database(compose):
    sql = (DEPLOY / "postgres" / "create-databases.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+);", sql))
    assert created == {f"caredesk_{name}" for name in COMPONENTS}
    for name, service in caredesk_services(compose).items():
        environment = service["environment"]
        urls = {key: value for key, value in environment.items() if key.endswith("_DATABASE_URL")}
        components = (list(COMPONENTS) if name == "init" else [] if name in COMPOSE_SYSTEM_PROCESSES
                      else [compose_process(name)[0]])
        assert set(urls) == {f"CAREDESK_{c.upper()}_DATABASE_URL" for c in components}, name
        for component in components:
            assert urls[f"CAREDESK_{component.upper()}_DATABASE_URL"].startswith("postgresql://")
            assert urls[f"CAREDESK_{component.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/caredesk_{component}")
        assert environment["CAREDESK_BROKER_URL"].startswith("amqp://"), name


def test_compose_shares_the_keys_through_a_volume(compose):
    services = caredesk_services(compose)
    assert "keys" in compose["volumes"]

    def keys_mount(service):
        mounts = [volume for volume in service.get("volumes", []) if volume.startswith("keys:")]
        return mounts[0] if mounts else None

    assert keys_mount(services["init"]) == "keys:/var/lib/caredesk/keys"  # init writes them
    for name, service in services.items():
        component, process = compose_process(name)
        if name == "init":
            continue
        if process == "api":
            assert keys_mount(service) == "keys:/var/lib/caredesk/keys:ro", name
            assert service["environment"]["CAREDESK_JWT_PUBLIC_KEY_FILE"].startswith("/var/lib/caredesk/keys/")
            assert "healthcheck" in service and "/readyz" in " ".join(service["healthcheck"]["test"]), name
        else:
            assert keys_mount(service) is None, name
    gateway = services["gateway"]["environment"]
    assert gateway["CAREDESK_GATEWAY_PRIVATE_KEY_FILE"] == services["init"]["environment"]["CAREDESK_GATEWAY_PRIVATE_KEY_FILE"]
    for service in SERVICES:
        assert gateway[f"CAREDESK_GATEWAY_{service.upper()}_URL"] == f"http://{service}:{COMPONENTS[service].default_port}"


def test_compose_containers_are_read_only_and_unprivileged(compose):
    for name, service in caredesk_services(compose).items():
        assert service["read_only"] is True, name
        assert "/tmp" in service["tmpfs"], name
        assert service["cap_drop"] == ["ALL"], name


# --- checkov ---------------------------------------------------------------------------------------

CHECKOV_CONFIG = DEPLOY / "checks" / "checkov.yaml"


def test_every_check_checkov_skips_says_why():
    lines = CHECKOV_CONFIG.read_text().splitlines()
    skipped = yaml.safe_load(CHECKOV_CONFIG.read_text())["skip-check"]
    for check in skipped:
        (index,) = [i for i, line in enumerate(lines) if line.strip() == f"- {check}"]
        assert lines[index - 1].strip().startswith("#"), f"{check} is skipped without a reason above it"
    for overlay in ("dev", "production"):
        for doc in kustomize(OVERLAYS / overlay):
            for key, value in doc["metadata"].get("annotations", {}).items():
                if key.startswith("checkov.io/skip"):
                    check, _, reason = value.partition("=")
                    assert re.fullmatch(r"CKV2?_K8S_\d+", check) and len(reason.split()) >= 5, (overlay, value)


@pytest.mark.parametrize("overlay", ["dev", "production", "production-direct-api"])
def test_checkov_passes_on_the_built_manifests(overlay, tmp_path):
    checkov = require_tool("checkov")
    built = tmp_path / f"{overlay}.yaml"
    built.write_text(subprocess.run([require_tool("kubectl"), "kustomize", str(OVERLAYS / overlay)],
                                    capture_output=True, text=True, timeout=120, check=True).stdout)
    result = subprocess.run([checkov, "--config-file", str(CHECKOV_CONFIG), "--skip-download", "--quiet",
                             "-o", "json", "--framework", "kubernetes", "-f", str(built)],
                            capture_output=True, text=True, timeout=600, check=False)
    outcome = json.loads(result.stdout)
    summary = outcome["summary"]
    failed = [f"{c['check_id']} {c['resource']}" for c in outcome.get("results", {}).get("failed_checks", [])]
    skipped_by_config = len(yaml.safe_load(CHECKOV_CONFIG.read_text())["skip-check"])
    report(f"DEPLOY checkov kubernetes overlays/{overlay}: passed={summary['passed']} failed={summary['failed']} "
           f"skipped_by_annotation={summary['skipped']} check_ids_skipped_by_config={skipped_by_config}")
    assert summary["failed"] == 0, failed
    assert summary["passed"] > 0


# --- graceful shutdown: grace periods against what the processes need ---------------------------

GUNICORN_GRACEFUL = int(re.search(r'"--graceful-timeout", "(\d+)"', (ROOT / "caredesk" / "cli.py").read_text()).group(1))
SMTP_TIMEOUT = 30  # services/notifications/deliveries/channels.py: SMTP socket timeout


def test_grace_periods_cover_the_prestop_pause_and_each_process_stop(production):
    """tests/faults/test_sigterm.py measures the stops under load (API 7 s, relay and consumer 2 s,
    Celery worker 4 s, beat 4 s); the periods leave room for the slow cases."""
    for name, deployment in of_kind(production, "Deployment").items():
        pod = pod_spec(deployment)
        grace = pod["terminationGracePeriodSeconds"]
        container = only_container(deployment)
        if name.endswith("-api"):
            pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
            assert pause >= 3 and grace >= pause + GUNICORN_GRACEFUL + 5, name
        else:
            assert "lifecycle" not in container, f"{name}: a preStop pause only delays a process no Service routes to"
            assert grace >= 30, name
    tasks = of_kind(production, "Deployment")["notifications-tasks"]
    assert pod_spec(tasks)["terminationGracePeriodSeconds"] >= 2 * SMTP_TIMEOUT


def test_compose_gives_each_process_the_grace_period_kubernetes_gives_it(compose):
    kubernetes = {name: pod_spec(d)["terminationGracePeriodSeconds"]
                  for name, d in of_kind(kustomize(OVERLAY), "Deployment").items()}
    for name, service in caredesk_services(compose).items():
        if name == "init":
            continue
        component, process = compose_process(name)
        deployment = "caredesk-beat" if name in COMPOSE_SYSTEM_PROCESSES else f"{component}-{process}"
        assert service["stop_grace_period"] == f"{kubernetes[deployment]}s", name


def test_attachments_are_on_a_volume_every_customers_api_replica_shares_in_production(production):
    """The customers API keeps uploads in CAREDESK_CUSTOMERS_ATTACHMENTS_DIR; in production that is
    a ReadWriteMany claim mounted by every replica (dev: the one pod's emptyDir)."""
    def attachments_volume(docs):
        api = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "customers-api")
        pod = api["spec"]["template"]["spec"]
        container = pod["containers"][0]
        directory = next(e["value"] for e in container["env"] if e["name"] == "CAREDESK_CUSTOMERS_ATTACHMENTS_DIR")
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == directory)
        assert not mount.get("readOnly")
        return next(v for v in pod["volumes"] if v["name"] == mount["name"])

    volume = attachments_volume(production)
    claim = next(d for d in production if d["kind"] == "PersistentVolumeClaim"
                 and d["metadata"]["name"] == volume["persistentVolumeClaim"]["claimName"])
    assert "emptyDir" not in volume
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] and claim["spec"]["resources"]["requests"]["storage"] == "100Gi"
    assert "emptyDir" in attachments_volume(kustomize(OVERLAYS / "dev"))
    # nothing else mounts the claim: only the API reads and writes the files
    mounting = [d["metadata"]["name"] for d in production if d["kind"] in ("Deployment", "Job")
                for v in d["spec"]["template"]["spec"].get("volumes", []) if "persistentVolumeClaim" in v]
    assert mounting == ["customers-api"]


def test_compose_keeps_attachments_on_a_named_volume(compose):
    customers = compose["services"]["customers"]
    directory = customers["environment"]["CAREDESK_CUSTOMERS_ATTACHMENTS_DIR"]
    assert f"attachments:{directory}" in customers["volumes"] and "attachments" in compose["volumes"]
