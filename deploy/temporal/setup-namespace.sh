#!/bin/sh
# Makes the Temporal namespace Chat Center runs in ready: creates it when missing and registers
# the search attributes its workflows set, retrying until each one is listed (a namespace just
# created can refuse registrations for a moment). Exits non-zero when that does not happen, so
# serve and worker never start against a namespace without them.
# TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE are read by the temporal CLI itself.
set -eu

ns="${TEMPORAL_NAMESPACE:-default}"
tries=60

try() {
  n=0
  until "$@"; do
    n=$((n + 1))
    [ "$n" -lt "$tries" ] || { echo "gave up: $*" >&2; exit 1; }
    sleep 2
  done
}

has_attribute() {
  temporal operator search-attribute list --namespace "$ns" --output json 2>/dev/null | grep -q "\"$1\""
}

ensure_attribute() {
  has_attribute "$1" && return 0
  temporal operator search-attribute create --namespace "$ns" --name "$1" --type "$2" >/dev/null 2>&1 || true
  has_attribute "$1"
}

try temporal operator cluster health
try sh -c "temporal operator namespace describe --namespace '$ns' >/dev/null 2>&1 || temporal operator namespace create --namespace '$ns' --retention 30d"

# The search attributes of workflows.SearchAttributes(); a test keeps this list in step.
for attr in WorkspaceId:Keyword ContactId:Keyword ConversationStatus:Keyword AssigneeId:Keyword \
  TeamId:Keyword Channel:Keyword FlowId:Keyword BroadcastId:Keyword LastInboundAt:Datetime; do
  try ensure_attribute "${attr%%:*}" "${attr#*:}"
done
echo "namespace $ns is ready"
