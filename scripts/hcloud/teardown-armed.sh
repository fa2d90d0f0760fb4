#!/bin/sh
# The create step of the teardown: nothing to do until `pulumi destroy`, which runs teardown.sh
# (before the network is deleted).
# Env: CLUSTER_NAME, NETWORK_NAME.
set -eu
echo "armed: pulumi destroy first deletes the autoscaled servers and load balancers of $CLUSTER_NAME attached to network $NETWORK_NAME, then the network"
