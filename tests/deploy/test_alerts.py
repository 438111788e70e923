"""The example Prometheus alert rules (deploy/prometheus/alerts.yaml): promtool checks them and
runs their unit tests (alerts-test.yaml); each alert is well formed, tested firing, and reads only
metrics something exports: the APIs (services/kit/metrics.py), CloudNativePG's exporter with our
queries, RabbitMQ's plugin, kube-state-metrics."""
from __future__ import annotations

import re
import subprocess

import yaml

from tests.deploy.conftest import DEPLOY, ROOT, report, require_tool

RULES = DEPLOY / "prometheus" / "alerts.yaml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts-test.yaml"
QUERIES = DEPLOY / "k8s" / "overlays" / "production" / "postgres-metrics.yaml"
EXTERNAL = {"rabbitmq_queue_messages_ready", "rabbitmq_global_messages_unroutable_returned_total",
            "kube_deployment_status_replicas_available", "kube_deployment_spec_replicas"}
PROMQL_WORDS = {"sum", "max", "min", "by", "rate", "increase", "histogram_quantile", "and", "or", "unless", "le",
                "service", "datname", "queue", "namespace", "deployment", "status"}


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def exported_metrics() -> set[str]:
    names = set(re.findall(r'(?:Counter|Histogram|Gauge)\("(caredesk_\w+)"', (ROOT / "services" / "kit" / "metrics.py").read_text()))
    names |= {f"{name}_bucket" for name in names} | {f"{name}_count" for name in names} | {f"{name}_sum" for name in names}
    configmap = yaml.safe_load(QUERIES.read_text())
    queries = yaml.safe_load(configmap["data"]["queries.yaml"])
    for query, spec in queries.items():
        for metric in spec["metrics"]:
            (column, options), = metric.items()
            if options["usage"] != "LABEL":
                names.add(f"cnpg_{query}_{column}")
    return names | EXTERNAL


def test_promtool_checks_the_rules_and_their_unit_tests_pass():
    promtool = require_tool("promtool")
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                            timeout=120, cwd=RULE_TESTS.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = sum(len(test["alert_rule_test"]) for test in yaml.safe_load(RULE_TESTS.read_text())["tests"])
    report(f"DEPLOY promtool: rules={len(alerts())} check=SUCCESS unit_test_cases={cases} test=SUCCESS")


def test_every_alert_waits_has_a_severity_and_says_what_to_do():
    for rule in alerts():
        assert re.fullmatch(r"\d+m", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"] and len(rule["annotations"]["description"].split()) >= 8, rule["alert"]


def test_every_alert_is_unit_tested_firing():
    fired = {case["alertname"] for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
             for case in test["alert_rule_test"] if case["exp_alerts"]}
    quiet_only = {"CaredeskApiSlow"}  # its test series stay fast: checked not to fire
    assert fired == {rule["alert"] for rule in alerts()} - quiet_only


def test_alerts_read_only_metrics_that_are_exported():
    known = exported_metrics()
    for rule in alerts():
        expression = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]', "", rule["expr"])
        names = set(re.findall(r"[a-z_][a-z0-9_]*", expression)) - PROMQL_WORDS
        assert names <= known, (rule["alert"], names - known)


def test_the_dead_letter_and_backlog_alerts_match_our_queue_names():
    from services.kit.messaging.topology import delay_queue_name

    rules = {rule["alert"]: rule["expr"] for rule in alerts()}
    dead = re.search(r'queue=~"([^"]+)"', rules["CaredeskDeadLetters"]).group(1).replace("\\\\", "\\")
    backlog_excluded = re.search(r'queue!~"([^"]+)"', rules["CaredeskQueueBacklog"]).group(1).replace("\\\\", "\\")
    assert re.fullmatch(dead, "cases.replicate_customer.dead")
    assert not re.fullmatch(dead, "cases.replicate_customer")
    assert re.fullmatch(backlog_excluded, delay_queue_name("cases.replicate_customer", 3))
    assert not re.fullmatch(backlog_excluded, "tasks.notifications")


def test_the_unroutable_alerts_watch_the_queue_the_relay_keeps_them_in(tmp_path):
    from services.kit.messaging.topology import unroutable_queue
    from services.kit.settings import load_settings

    rules = {rule["alert"]: rule["expr"] for rule in alerts()}
    kept = unroutable_queue(load_settings("cases", data_dir=tmp_path)).name
    watched = re.search(r'queue=~"([^"]+)"', rules["CaredeskUnroutableKept"]).group(1).replace("\\\\", "\\")
    backlog_excluded = re.search(r'queue!~"([^"]+)"', rules["CaredeskQueueBacklog"]).group(1).replace("\\\\", "\\")
    assert re.fullmatch(watched, kept) and re.fullmatch(backlog_excluded, kept)
    assert not re.fullmatch(watched, "cases.replicate_customer")
