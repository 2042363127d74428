#!/bin/sh
# Runs dockerd in the foreground (its log on stdout, `docker logs <node>`).
set -eu
# A bind-mounted host /sys/fs/cgroup (cgroup v1 with --cgroupns host) is what runc needs here.
exec dockerd --host=unix:///var/run/docker.sock --storage-driver=overlay2 "$@"
