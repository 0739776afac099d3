"""Grading in the container modes: the grading image, no network, limits from the lab.

The engine is the same as in local mode (``northlab grade``); the container runtime adds
the outer walls: no network at all, a read-only root, only the capabilities the engine
needs to run learners' code under throw-away uids (:data:`GRADER_CAPABILITIES`), and CPU,
memory and process limits sized from the lab's ``[limits]`` times the parallel workers.

- Docker host: :func:`docker_run_options` (the ``grader`` service in
  ``hub/docker/compose.yaml`` carries the same defaults).
- Kubernetes: one indexed Job per batch (:func:`kubernetes_job`); pod ``i`` grades shard
  ``i`` of the batch (``<data_root>/batches/<batch>/<i>/``, made by :func:`split_batch`),
  and :func:`network_policy` denies every packet in and out of grading pods.

``python -m hub.modes.grading --help`` prints the Kubernetes manifests for a batch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from graders.lab import Limits, load_lab

#: Label of grading pods; the NetworkPolicy selects it.
GRADER_LABEL = {"app.kubernetes.io/name": "northlab-grader"}
#: Where the shared data volume is mounted in grading containers.
DATA_ROOT = "/srv/northlab"
#: Memory the engine itself needs next to the learners' code.
ENGINE_MB = 512
#: The only capabilities a grading container keeps: the engine runs as root to start each
#: learner's code under its own throw-away uid (set up its folder, switch uid, kill it).
GRADER_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL"]


def container_limits(limits: Limits, workers: int) -> dict[str, Any]:
    """CPU, memory (MiB) and process limits for a container running ``workers`` sandboxes."""
    return {
        "cpus": float(workers),
        "memory_mb": ENGINE_MB + workers * limits.memory_mb,
        "pids": 64 + workers * limits.processes,
    }


def docker_run_options(limits: Limits, workers: int = 2) -> dict[str, Any]:
    """docker-py ``containers.run`` options for a grading container."""
    sized = container_limits(limits, workers)
    return {
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": f"size={limits.disk_mb * workers}m"},
        "cap_drop": ["ALL"],
        "cap_add": list(GRADER_CAPABILITIES),
        "security_opt": ["no-new-privileges:true"],
        "pids_limit": sized["pids"],
        "mem_limit": f"{sized['memory_mb']}m",
        "nano_cpus": int(sized["cpus"] * 1e9),
        "user": "0:0",
    }


def kubernetes_job(
    batch: str,
    lab_dir: str,
    limits: Limits,
    shards: int,
    image: str,
    course: str = "",
    workers: int = 2,
    parallelism: int = 4,
) -> dict[str, Any]:
    """An indexed Job grading ``shards`` shards of ``batch`` against the lab at ``lab_dir``."""
    sized = container_limits(limits, workers)
    shard_dir = f"{DATA_ROOT}/batches/{batch}/$(JOB_COMPLETION_INDEX)"
    args = [
        "grade",
        lab_dir,
        shard_dir,
        f"--workers={workers}",
        f"--outbox={DATA_ROOT}/outbox",
        f"--json={DATA_ROOT}/batches/{batch}/results-$(JOB_COMPLETION_INDEX).json",
    ]
    if course:
        args.append(f"--course={course}")
    resources = {"cpu": str(sized["cpus"]), "memory": f"{sized['memory_mb']}Mi"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"northlab-grade-{batch}", "labels": dict(GRADER_LABEL)},
        "spec": {
            "completionMode": "Indexed",
            "completions": shards,
            "parallelism": min(parallelism, shards),
            "backoffLimitPerIndex": 1,
            "ttlSecondsAfterFinished": 86400,
            "activeDeadlineSeconds": int(limits.wall_seconds * 100) + 600,
            "template": {
                "metadata": {"labels": dict(GRADER_LABEL)},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsUser": 0,
                        "runAsGroup": 0,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "grader",
                            "image": image,
                            "args": args,
                            "env": [{"name": "NORTHLAB_DATA", "value": DATA_ROOT}],
                            "resources": {"requests": resources, "limits": resources},
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"], "add": list(GRADER_CAPABILITIES)},
                            },
                            "volumeMounts": [
                                {"name": "data", "mountPath": DATA_ROOT},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "data", "persistentVolumeClaim": {"claimName": "northlab-data"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": f"{limits.disk_mb * workers}Mi"}},
                    ],
                },
            },
        },
    }


def network_policy() -> dict[str, Any]:
    """Deny all ingress and egress for grading pods (no rules = nothing allowed)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "northlab-grader-no-network"},
        "spec": {
            "podSelector": {"matchLabels": dict(GRADER_LABEL)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [],
        },
    }


def split_batch(submissions: Path, batch_dir: Path, shards: int) -> list[int]:
    """Copy one folder per learner from ``submissions`` into ``shards`` shard folders,
    round-robin in name order; returns how many learners each shard got."""
    learners = sorted(p for p in Path(submissions).iterdir() if p.is_dir())
    counts = [0] * shards
    for index, learner in enumerate(learners):
        shard = index % shards
        shutil.copytree(learner, Path(batch_dir) / str(shard) / learner.name)
        counts[shard] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.modes.grading",
        description="Print the Kubernetes manifests (NetworkPolicy + indexed Job) grading one "
        "batch; pipe them to `kubectl apply -f -`.",
    )
    parser.add_argument("--batch", required=True, help="batch name (lowercase, digits, -)")
    parser.add_argument("--lab", required=True, type=Path, help="lab folder (with lab.toml)")
    parser.add_argument("--shards", type=int, default=4, help="pods (shards) in the batch")
    parser.add_argument("--image", default="northlab/grader:latest", help="grading image")
    parser.add_argument("--course", default="", help="nbgrader course id for the records")
    args = parser.parse_args(argv)
    lab = load_lab(args.lab)
    lab_in_image = f"/opt/northlab/src/labs/{lab.track}/{lab.id}"
    job = kubernetes_job(args.batch, lab_in_image, lab.limits, args.shards, args.image, args.course)
    yaml.safe_dump_all([network_policy(), job], sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
