"""The production overlay's operator resources, field by field (no CRD schema ships in a package
we can install): CloudNativePG Cluster, Database and ScheduledBackup, RabbitmqCluster, KEDA
ScaledObject and TriggerAuthentication; with the Ingress and the NetworkPolicies they depend on."""
from __future__ import annotations

import re

import pytest

from caredesk.components import COMPONENTS, SERVICES, TASK_SERVICES
from services.kit.messaging.topology import queue_name
from services.kit.settings import load_settings
from services.kit.tasks import task_queue
from tests.deploy.conftest import DEPLOY, report
from tests.deploy.test_manifests import OVERLAY, kustomize, of_kind, only_container, pod_spec

PLACEHOLDER = "set-in-caredesk-deploy-values"
# The spec fields each kind's CRD defines that we use (a typo would be ignored by the operator
# rather than refused, so the test refuses it).
SPEC_FIELDS = {
    "Cluster": {"instances", "imageName", "primaryUpdateStrategy", "postgresql", "bootstrap", "managed", "storage",
                "walStorage", "affinity", "resources", "backup", "monitoring"},
    "Database": {"name", "owner", "ensure", "cluster"},
    "ScheduledBackup": {"schedule", "backupOwnerReference", "method", "cluster"},
    "RabbitmqCluster": {"replicas", "image", "secretBackend", "persistence", "resources", "affinity", "rabbitmq"},
    "ScaledObject": {"scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval", "cooldownPeriod",
                     "advanced", "triggers"},
    "TriggerAuthentication": {"secretTargetRef"},
}
API_VERSIONS = {"Cluster": "postgresql.cnpg.io/v1", "Database": "postgresql.cnpg.io/v1",
                "ScheduledBackup": "postgresql.cnpg.io/v1", "RabbitmqCluster": "rabbitmq.com/v1beta1",
                "ScaledObject": "keda.sh/v1alpha1", "TriggerAuthentication": "keda.sh/v1alpha1"}
ROLE = "caredesk_{}"


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return kustomize(OVERLAY)


def one(docs, kind):
    (doc,) = of_kind(docs, kind).values()
    return doc


def test_operator_resources_use_only_known_fields_of_their_api_versions(docs):
    count = 0
    for kind, fields in SPEC_FIELDS.items():
        for name, doc in of_kind(docs, kind).items():
            count += 1
            assert doc["apiVersion"] == API_VERSIONS[kind], name
            assert set(doc["spec"]) <= fields, (kind, name, set(doc["spec"]) - fields)
            assert doc["metadata"]["namespace"] == "caredesk", name
    report(f"DEPLOY operator resources checked field by field: {count}")
    assert count == 1 + 3 + 1 + 1 + len([s for s in SERVICES if COMPONENTS[s].handlers]) + len(TASK_SERVICES) + 1


# --- PostgreSQL: CloudNativePG ---------------------------------------------------------------------

def test_postgres_is_a_primary_and_two_replicas_one_synchronous_on_separate_nodes(docs):
    spec = one(docs, "Cluster")["spec"]
    assert spec["instances"] == 3
    assert re.fullmatch(r"ghcr\.io/cloudnative-pg/postgresql:\d+\.\d+", spec["imageName"])
    assert spec["postgresql"]["synchronous"] == {"method": "any", "number": 1}
    assert spec["affinity"] == {"enablePodAntiAffinity": True, "podAntiAffinityType": "required",
                                "topologyKey": "kubernetes.io/hostname"}
    assert spec["storage"]["size"] and spec["walStorage"]["size"]
    assert spec["resources"]["limits"]["memory"] == spec["resources"]["requests"]["memory"]


def test_one_database_per_component_owned_by_its_own_role(docs):
    cluster = one(docs, "Cluster")
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    owners = {initdb["database"]: initdb["owner"]}
    secrets = {initdb["owner"]: initdb["secret"]["name"]}
    for database in of_kind(docs, "Database").values():
        assert database["spec"]["cluster"] == {"name": cluster["metadata"]["name"]}
        assert database["spec"]["ensure"] == "present"
        owners[database["spec"]["name"]] = database["spec"]["owner"]
    for role in cluster["spec"]["managed"]["roles"]:
        assert role["ensure"] == "present" and role["login"] is True
        secrets[role["name"]] = role["passwordSecret"]["name"]
    assert owners == {f"caredesk_{name}": ROLE.format(name) for name in COMPONENTS}
    assert secrets == {ROLE.format(name): f"caredesk-postgres-{name}" for name in COMPONENTS}


def test_pg_hba_lets_each_role_into_its_own_database_only(docs):
    rules = [line.split() for line in one(docs, "Cluster")["spec"]["postgresql"]["pg_hba"]]
    allowed = [rule for rule in rules if rule[-1] != "reject"]
    assert sorted((db, user) for _, db, user, *_ in allowed) == sorted(
        (f"caredesk_{name}", ROLE.format(name)) for name in COMPONENTS)
    assert all(rule[0] == "hostssl" and rule[-1] == "scram-sha-256" for rule in allowed)
    # the last rule turns every Caredesk role away from any other database (first match wins)
    assert rules[-1][:2] == ["host", "all"] and rules[-1][-1] == "reject"
    assert set(rules[-1][2].split(",")) == {ROLE.format(name) for name in COMPONENTS}


def test_backups_go_to_the_object_store_of_the_values_with_a_nightly_base_backup(docs):
    cluster = one(docs, "Cluster")
    backup = cluster["spec"]["backup"]
    values = of_kind(docs, "ConfigMap")["caredesk-deploy-values"]["data"]
    store = backup["barmanObjectStore"]
    assert store["destinationPath"] == values["backup-destination"]
    assert store["endpointURL"] == values["backup-endpoint"]
    assert PLACEHOLDER not in str(store)
    assert {ref["name"] for ref in store["s3Credentials"].values()} == {"caredesk-backup-credentials"}
    assert store["wal"]["compression"] and store["data"]["compression"]
    assert re.fullmatch(r"\d+[dwm]", backup["retentionPolicy"])
    scheduled = one(docs, "ScheduledBackup")["spec"]
    assert scheduled["cluster"] == {"name": cluster["metadata"]["name"]}
    assert len(scheduled["schedule"].split()) == 6  # CloudNativePG's cron has seconds


# --- RabbitMQ: Cluster Operator --------------------------------------------------------------------

def test_rabbitmq_is_three_nodes_on_three_kubernetes_nodes(docs):
    rabbit = one(docs, "RabbitmqCluster")
    spec = rabbit["spec"]
    assert spec["replicas"] == 3
    assert re.fullmatch(r"rabbitmq:3\.1[3-9]\.\d+(-management)?", spec["image"])
    term, = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": rabbit["metadata"]["name"]}
    assert spec["persistence"]["storage"]
    assert spec["secretBackend"]["externalSecret"]["name"] == "caredesk-rabbitmq-default-user"
    config = dict(line.split(" = ", 1) for line in spec["rabbitmq"]["additionalConfig"].splitlines()
                  if line and not line.startswith("#"))
    assert config["cluster_partition_handling"] == "pause_minority"
    assert int(config["consumer_timeout"]) >= 30 * 60 * 1000


# --- KEDA ------------------------------------------------------------------------------------------

def test_autoscaling_yaml_is_what_its_generator_writes_from_the_components():
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_autoscaling", DEPLOY / "k8s" / "generate-autoscaling.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.TARGET.read_text() == generator.render(), "run .venv/bin/python deploy/k8s/generate-autoscaling.py"


def expected_scalers() -> dict[str, set[str]]:
    """Deployment -> the queues it consumes: each handler queue of a consumer, each task queue."""
    settings = load_settings("cases")  # the queue prefix is empty in production
    scalers = {f"{name}-consumer": {queue_name(load_settings(name), h.name) for h in COMPONENTS[name].handlers}
               for name in SERVICES if COMPONENTS[name].handlers}
    scalers |= {f"{name}-tasks": {task_queue(settings, name)} for name in TASK_SERVICES}
    return scalers


def test_every_consumer_and_celery_worker_scales_on_each_queue_it_serves(docs):
    deployments = of_kind(docs, "Deployment")
    authentications = of_kind(docs, "TriggerAuthentication")
    found = {}
    for name, scaled in of_kind(docs, "ScaledObject").items():
        spec = scaled["spec"]
        target = spec["scaleTargetRef"]["name"]
        assert target == name and target in deployments
        assert "replicas" not in deployments[target]["spec"], f"{target}: the ScaledObject owns the count"
        assert 1 <= spec["minReplicaCount"] < spec["maxReplicaCount"], name
        queues = set()
        for trigger in spec["triggers"]:
            assert trigger["type"] == "rabbitmq"
            assert trigger["metadata"]["mode"] == "QueueLength"
            assert int(trigger["metadata"]["value"]) > 0
            assert trigger["metadata"]["protocol"] == "amqp"
            assert trigger["authenticationRef"]["name"] in authentications
            queues.add(trigger["metadata"]["queueName"])
        assert len(queues) == len(spec["triggers"]), name
        found[name] = queues
    assert found == expected_scalers(), "run .venv/bin/python deploy/k8s/generate-autoscaling.py"
    report(f"DEPLOY KEDA: scaled_objects={len(found)} queue_triggers={sum(map(len, found.values()))}")


def test_keda_reads_the_broker_url_every_process_uses(docs):
    (reference,) = one(docs, "TriggerAuthentication")["spec"]["secretTargetRef"]
    assert reference == {"parameter": "host", "name": "caredesk-broker", "key": "url"}
    for name, deployment in of_kind(docs, "Deployment").items():
        env = {item["name"]: item for item in only_container(deployment)["env"]}
        assert env["CAREDESK_BROKER_URL"]["valueFrom"]["secretKeyRef"] == {"name": "caredesk-broker", "key": "url"}


# --- the way in and the network --------------------------------------------------------------------

def test_ingress_serves_the_gateway_over_tls_on_the_host_of_the_values(docs):
    ingress = one(docs, "Ingress")
    values = of_kind(docs, "ConfigMap")["caredesk-deploy-values"]["data"]
    (tls,) = ingress["spec"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert tls == {"hosts": [values["host"]], "secretName": values["tls-secret"]}
    assert rule["host"] == values["host"]
    assert ingress["spec"]["ingressClassName"] == values["ingress-class"]
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "gateway-api", "port": {"name": "http"}}
    assert PLACEHOLDER not in str(ingress)


def selects(selector: dict, labels: dict) -> bool:
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
    return True


def may_connect(policies: list[dict], source: dict, target: dict, port: int | str) -> bool:
    """Whether the egress policies let a pod with labels ``source`` reach a pod of the same
    namespace labelled ``target`` on ``port`` (peer ports by number or name)."""
    applying = [p for p in policies if "Egress" in p["spec"]["policyTypes"]
                and selects(p["spec"]["podSelector"], source)]
    if not applying:
        return True
    for policy in applying:
        for rule in policy["spec"].get("egress", []):
            peers = [peer for peer in rule.get("to", []) if "podSelector" in peer and "namespaceSelector" not in peer]
            ports = [entry["port"] for entry in rule.get("ports", [])]
            if any(selects(peer["podSelector"], target) for peer in peers) and port in ports:
                return True
    return False


POSTGRES_POD = {"cnpg.io/cluster": "caredesk-postgres", "cnpg.io/instanceRole": "primary"}
RABBITMQ_POD = {"app.kubernetes.io/name": "caredesk-rabbitmq", "app.kubernetes.io/component": "rabbitmq"}


def test_each_process_reaches_the_database_only_if_it_has_one_and_always_the_broker(docs):
    policies = list(of_kind(docs, "NetworkPolicy").values())
    workloads = {**of_kind(docs, "Deployment"), **of_kind(docs, "Job")}
    for name, workload in workloads.items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        has_database = any(item["name"].endswith("_DATABASE_URL") for item in only_container(workload)["env"])
        assert may_connect(policies, labels, POSTGRES_POD, 5432) == has_database, name
        assert may_connect(policies, labels, RABBITMQ_POD, 5672), name
        assert not may_connect(policies, labels, POSTGRES_POD, 8000), name
        assert not may_connect(policies, labels, {"app.kubernetes.io/name": "something-else"}, 443), name


def test_only_the_gateway_reaches_the_services_apis(docs):
    policies = list(of_kind(docs, "NetworkPolicy").values())
    deployments = of_kind(docs, "Deployment")
    for service in SERVICES:
        target = deployments[f"{service}-api"]["spec"]["template"]["metadata"]["labels"]
        for name, deployment in deployments.items():
            source = deployment["spec"]["template"]["metadata"]["labels"]
            assert may_connect(policies, source, target, "http") == (name == "gateway-api"), (name, service)


def test_default_deny_policies_leave_the_operators_pods_alone(docs):
    for policy in of_kind(docs, "NetworkPolicy").values():
        selector = policy["spec"]["podSelector"]
        assert selector, f"{policy['metadata']['name']} selects every pod of the namespace"
        assert not selects(selector, POSTGRES_POD) and not selects(selector, RABBITMQ_POD), policy["metadata"]["name"]


def test_every_caredesk_pod_is_covered_by_an_ingress_and_an_egress_policy(docs):
    policies = list(of_kind(docs, "NetworkPolicy").values())
    for name, workload in {**of_kind(docs, "Deployment"), **of_kind(docs, "Job")}.items():
        labels = pod_spec(workload) and workload["spec"]["template"]["metadata"]["labels"]
        kinds = {kind for p in policies if selects(p["spec"]["podSelector"], labels) for kind in p["spec"]["policyTypes"]}
        assert kinds == {"Ingress", "Egress"}, name
