"""Write deploy/k8s/overlays/production/autoscaling.yaml from caredesk/components.py: a KEDA
ScaledObject per consumer and Celery worker with one RabbitMQ trigger per queue it serves, and an
HPA per service API. Run it after adding a handler (tests/deploy/test_operators.py says when):

    .venv/bin/python deploy/k8s/generate-autoscaling.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from caredesk.components import COMPONENTS, SERVICES, TASK_SERVICES  # noqa: E402

TARGET = Path(__file__).resolve().parent / "overlays" / "production" / "autoscaling.yaml"
# (min, max, messages waiting per pod) of each kind; cases-tasks only runs the SLA check.
LIMITS = {"consumer": (1, 8, 100), "tasks": (1, 6, 50)}
OVERRIDES = {"cases-tasks": (1, 2, 50)}

HEADER = '''# Autoscaling. The APIs on CPU (HorizontalPodAutoscalers; the gateway's is in the base). The
# consumers and Celery workers with KEDA (2.12 or newer) on the depth of the queues they serve: one
# RabbitMQ trigger per handler queue (<service>.<handler>) or task queue (tasks.<service>); KEDA
# scales on the deepest one. Each ScaledObject owns its Deployment's replica count, so the overlay
# sets none for them. Scaling down is slow on purpose: a consumer stopping mid-burst only requeues.
# Written by deploy/k8s/generate-autoscaling.py from caredesk/components.py; do not edit by hand.
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: caredesk-rabbitmq
spec:
  secretTargetRef:
    - parameter: host
      name: caredesk-broker
      key: url
'''


def scaled_object(name: str, kind: str, queues: list[str]) -> str:
    low, high, per_pod = OVERRIDES.get(name, LIMITS[kind])
    triggers = "".join(f'''    - type: rabbitmq
      name: {queue.replace('.', '-').replace('_', '-')}
      metadata:
        protocol: amqp
        queueName: {queue}
        mode: QueueLength
        value: "{per_pod}"
      authenticationRef:
        name: caredesk-rabbitmq
''' for queue in queues)
    return f'''---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {name}
spec:
  scaleTargetRef:
    name: {name}
  minReplicaCount: {low}
  maxReplicaCount: {high}
  pollingInterval: 15
  cooldownPeriod: 300
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 300
          policies:
            - type: Pods
              value: 1
              periodSeconds: 60
  triggers:
{triggers}'''


def autoscaler(name: str) -> str:
    return f'''---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: 2
  maxReplicas: 8
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
'''


def render() -> str:
    parts = [HEADER]
    for service in SERVICES:
        handlers = COMPONENTS[service].handlers
        if handlers:
            parts.append(scaled_object(f"{service}-consumer", "consumer", [f"{service}.{h.name}" for h in handlers]))
    for service in TASK_SERVICES:
        parts.append(scaled_object(f"{service}-tasks", "tasks", [f"tasks.{service}"]))
    parts.extend(autoscaler(f"{service}-api") for service in SERVICES)
    return "".join(parts)


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}")
