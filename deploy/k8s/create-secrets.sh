#!/usr/bin/env bash
# The Secrets the manifests refer to and never ship, created once per namespace with random
# passwords (URL-safe: they go into URLs as they are) and a fresh Ed25519 signing key. A Secret
# that exists is left alone, so running it again changes nothing.
#
#   deploy/k8s/create-secrets.sh dev [NAMESPACE]          # default caredesk-dev
#   deploy/k8s/create-secrets.sh production [NAMESPACE]   # default caredesk
#
# production also needs the object store's keys for the PostgreSQL backups in the environment:
#   BACKUP_ACCESS_KEY_ID=... BACKUP_ACCESS_SECRET_KEY=... deploy/k8s/create-secrets.sh production
set -euo pipefail

overlay=${1:?usage: create-secrets.sh dev|production [NAMESPACE]}
case "$overlay" in
  dev) namespace=${2:-caredesk-dev} ;;
  production) namespace=${2:-caredesk} ;;
  *) echo "unknown overlay $overlay (dev or production)" >&2; exit 2 ;;
esac
components=(gateway customers cases notifications)

password() { openssl rand -hex 24; }
exists() { kubectl -n "$namespace" get secret "$1" >/dev/null 2>&1; }
create() {  # name, then kubectl create secret generic arguments
  local name=$1; shift
  if exists "$name"; then echo "secret/$name exists, kept"; return; fi
  kubectl -n "$namespace" create secret generic "$name" "$@"
}

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"

if ! exists caredesk-signing-keys; then
  keys=$(mktemp -d); trap 'rm -rf "$keys"' EXIT
  openssl genpkey -algorithm ed25519 -out "$keys/gateway.pem"
  openssl pkey -in "$keys/gateway.pem" -pubout -out "$keys/gateway.pub"
  create caredesk-signing-keys --from-file="$keys/gateway.pem" --from-file="$keys/gateway.pub"
fi
create caredesk-admin --from-literal=password="$(password)"

if [ "$overlay" = dev ]; then
  if ! exists caredesk-database-urls; then
    pg=$(password); rabbit=$(password)
    create caredesk-dev-postgres --from-literal=password="$pg"
    create caredesk-dev-rabbitmq --from-literal=password="$rabbit"
    urls=()
    for c in "${components[@]}"; do urls+=(--from-literal="$c=postgresql://caredesk:$pg@postgres:5432/caredesk_$c"); done
    create caredesk-database-urls "${urls[@]}"
    create caredesk-broker --from-literal=url="amqp://caredesk:$rabbit@rabbitmq:5672//"
  fi
  exit 0
fi

# production: a role per component (CloudNativePG reads the basic-auth Secrets), the URLs made of
# the same passwords, the RabbitMQ default user and the broker URL, the backup credentials.
if ! exists caredesk-database-urls; then
  urls=()
  for c in "${components[@]}"; do
    pw=$(password)
    kubectl -n "$namespace" create secret generic "caredesk-postgres-$c" --type=kubernetes.io/basic-auth \
      --from-literal=username="caredesk_$c" --from-literal=password="$pw"
    urls+=(--from-literal="$c=postgresql://caredesk_$c:$pw@caredesk-postgres-rw:5432/caredesk_$c?sslmode=require")
  done
  create caredesk-database-urls "${urls[@]}"
fi
if ! exists caredesk-broker; then
  rabbit=$(password)
  create caredesk-rabbitmq-default-user --from-literal=username=caredesk --from-literal=password="$rabbit"
  create caredesk-broker --from-literal=url="amqp://caredesk:$rabbit@caredesk-rabbitmq:5672//"
fi
create caredesk-backup-credentials \
  --from-literal=ACCESS_KEY_ID="${BACKUP_ACCESS_KEY_ID:?set BACKUP_ACCESS_KEY_ID}" \
  --from-literal=ACCESS_SECRET_KEY="${BACKUP_ACCESS_SECRET_KEY:?set BACKUP_ACCESS_SECRET_KEY}"
echo "optional: kubectl -n $namespace create secret generic caredesk-notifications --from-literal=smtp-host=... (deploy/README.md)"
