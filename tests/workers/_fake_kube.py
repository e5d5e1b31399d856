"""A fake Kubernetes API server on loopback, for the kubernetes worker's tests (there is
no cluster here).  It speaks only what the worker uses: create/get/list/delete Jobs,
list/watch/delete Pods (equality label selectors, resourceVersion, timeoutSeconds),
and follow a pod's log.  A created Job gets one pod that really RUNS its container's
command as a local subprocess with the container's environment (``python`` is this
test's interpreter), so the flow run reaches the real Headwater server under test.

Images not in ``images`` never pull (the pod stays Pending with ErrImagePull).
Deleting a Job with foreground propagation SIGTERMs the pod's process, SIGKILLs it
after the grace period, deletes the pod, then the Job.  ``ttlSecondsAfterFinished``
deletes a finished Job like the TTL controller."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

Key = tuple[str, str]  # (namespace, name)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _matches(obj: dict[str, Any], selector: str | None) -> bool:
    labels = obj["metadata"].get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        name, _, value = term.partition("=")
        if labels.get(name) != value:
            return False
    return True


class FakeKube:
    def __init__(self, home: Path, images: tuple[str, ...] = ("headwater-test",)) -> None:
        self.home = home
        self.images = set(images)
        self.jobs: dict[Key, dict[str, Any]] = {}
        self.pods: dict[Key, dict[str, Any]] = {}
        self.processes: dict[Key, subprocess.Popen[bytes]] = {}
        self.logs: dict[Key, list[str]] = {}
        self.events: list[tuple[int, str, str, dict[str, Any]]] = []  # rv, kind, type, obj
        self.created: list[dict[str, Any]] = []  # Job manifests as posted
        self.deletes: list[tuple[str, str, dict[str, str]]] = []  # kind, name, params
        self.rv = 0
        self.cond = threading.Condition()
        self.closed = False
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def cluster_config(self) -> dict[str, Any]:
        """A ``cluster_config`` job variable (a kubeconfig) pointing at this server."""
        return {
            "config": {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                "users": [{"name": "fake", "user": {}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
                "current-context": "fake",
            },
            "context_name": "fake",
        }

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        for process in list(self.processes.values()):
            if process.poll() is None:
                process.kill()
                process.wait(10)
        self.server.shutdown()
        self.server.server_close()

    # -- state changes (under self.cond) -------------------------------------------------
    def _emit(self, kind: str, event: str, obj: dict[str, Any]) -> None:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.events.append((self.rv, kind, event, copy.deepcopy(obj)))
        self.cond.notify_all()

    def create_job(self, namespace: str, manifest: dict[str, Any]) -> dict[str, Any]:
        job = copy.deepcopy(manifest)
        meta = job.setdefault("metadata", {})
        meta["name"] = meta.get("name") or meta.get("generateName", "job-") + secrets.token_hex(3)
        meta.update(namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=_now())
        job["status"] = {"active": 1}
        template = copy.deepcopy(job["spec"]["template"])
        pod_meta = template.setdefault("metadata", {})
        pod_meta["labels"] = {
            **(pod_meta.get("labels") or {}),
            "job-name": meta["name"],
            "batch.kubernetes.io/job-name": meta["name"],
            "controller-uid": meta["uid"],
        }
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **pod_meta,
                "name": f"{meta['name']}-{secrets.token_hex(3)}",
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": _now(),
            },
            "spec": template["spec"],
            "status": {"phase": "Pending"},
        }
        with self.cond:
            self.created.append(copy.deepcopy(manifest))
            self.jobs[(namespace, meta["name"])] = job
            self._emit("Job", "ADDED", job)
            self.pods[(namespace, pod["metadata"]["name"])] = pod
            self._emit("Pod", "ADDED", pod)
        threading.Thread(target=self._run_pod, args=(job, pod), daemon=True).start()
        return job

    def _run_pod(self, job: dict[str, Any], pod: dict[str, Any]) -> None:
        container = pod["spec"]["containers"][0]
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        status = {
            "name": container["name"],
            "image": container["image"],
            "imageID": "",
            "restartCount": 0,
        }
        if container["image"] not in self.images:
            with self.cond:
                pod["status"]["containerStatuses"] = [
                    {
                        **status,
                        "ready": False,
                        "state": {
                            "waiting": {
                                "reason": "ErrImagePull",
                                "message": f'pull access denied for "{container["image"]}"',
                            }
                        },
                    }
                ]
                self._emit("Pod", "MODIFIED", pod)
            return
        argv = [*(container.get("command") or []), *(container.get("args") or [])]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home), "LANG": "C.UTF-8"}
        env.update({item["name"]: item.get("value", "") for item in container.get("env") or []})
        self.home.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=self.home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with self.cond:
            self.processes[key] = process
            self.logs[key] = []
            pod["status"] = {
                "phase": "Running",
                "startTime": _now(),
                "containerStatuses": [{**status, "ready": True, "state": {"running": {}}}],
            }
            self._emit("Pod", "MODIFIED", pod)
        assert process.stdout is not None
        for raw in process.stdout:
            with self.cond:
                self.logs[key].append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()
        process.stdout.close()
        code = process.wait()
        code = 128 - code if code < 0 else code  # a signal, as a container runtime reports it
        with self.cond:
            pod["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
            pod["status"]["containerStatuses"] = [
                {**status, "ready": False, "state": {"terminated": {"exitCode": code}}}
            ]
            if key in self.pods:
                self._emit("Pod", "MODIFIED", pod)
            job["status"] = {
                ("succeeded" if code == 0 else "failed"): 1,
                "conditions": [{"type": "Complete" if code == 0 else "Failed", "status": "True"}],
            }
            if (job["metadata"]["namespace"], job["metadata"]["name"]) in self.jobs:
                self._emit("Job", "MODIFIED", job)
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        if ttl is not None:
            timer = threading.Timer(ttl, self.delete_job, args=(key[0], job["metadata"]["name"]))
            timer.daemon = True
            timer.start()

    def delete_pod(self, namespace: str, name: str, grace: float) -> dict[str, Any] | None:
        with self.cond:
            pod = self.pods.get((namespace, name))
            process = self.processes.get((namespace, name))
        if pod is None:
            return None
        if grace <= 0:
            # A forced delete removes the pod from the API at once; the kubelet kills
            # its container afterwards, so no exit code is ever recorded on it.
            with self.cond:
                if self.pods.pop((namespace, name), None) is not None:
                    self._emit("Pod", "DELETED", pod)
            if process is not None and process.poll() is None:
                _signal_group(process.pid, signal.SIGKILL)
            return pod
        if process is not None and process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        with self.cond:  # the kubelet records the exit code before the pod goes
            self.cond.wait_for(lambda: "terminated" in _container_state(pod), timeout=30)
            if self.pods.pop((namespace, name), None) is not None:
                self._emit("Pod", "DELETED", pod)
        return pod

    def delete_job(self, namespace: str, name: str, grace: float | None = None) -> None:
        with self.cond:
            job = self.jobs.get((namespace, name))
            if job is None:
                return
            job["metadata"]["deletionTimestamp"] = _now()
            self._emit("Job", "MODIFIED", job)
            pods = [
                pod["metadata"]["name"]
                for (ns, _), pod in self.pods.items()
                if ns == namespace and pod["metadata"]["labels"].get("job-name") == name
            ]
        for pod_name in pods:
            spec = self.pods.get((namespace, pod_name), {}).get("spec", {})
            default = spec.get("terminationGracePeriodSeconds", 30)
            self.delete_pod(namespace, pod_name, default if grace is None else grace)
        with self.cond:
            if self.jobs.pop((namespace, name), None) is not None:
                self._emit("Job", "DELETED", job)

    def watch(
        self, kind: str, namespace: str, selector: str | None, rv: str | None, timeout: float
    ) -> Iterator[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        store = self.pods if kind == "Pod" else self.jobs
        with self.cond:
            cursor = int(rv) if rv else self.rv
            initial = [] if rv else [copy.deepcopy(o) for o in store.values()]
        for obj in initial:
            if obj["metadata"]["namespace"] == namespace and _matches(obj, selector):
                yield {"type": "ADDED", "object": obj}
        while not self.closed and time.monotonic() < deadline:
            with self.cond:
                fresh = [e for e in self.events if e[0] > cursor]
                if not fresh:
                    self.cond.wait(min(1.0, max(0.0, deadline - time.monotonic())))
                    continue
            cursor = fresh[-1][0]
            for _, event_kind, event, obj in fresh:
                if event_kind != kind or obj["metadata"]["namespace"] != namespace:
                    continue
                if _matches(obj, selector):
                    yield {"type": event, "object": obj}

    def follow_log(self, namespace: str, name: str) -> Iterator[str]:
        key = (namespace, name)
        sent = 0
        while not self.closed:
            with self.cond:
                lines = self.logs.get(key, [])
                fresh, sent = lines[sent:], len(lines)
                process = self.processes.get(key)
                running = process is not None and process.poll() is None
                if not fresh and running:
                    self.cond.wait(1.0)
                    continue
            yield from fresh
            if not running and not fresh:
                return


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKube
    protocol_version = "HTTP/1.0"  # streams end when the connection closes

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code: int, reason: str, message: str) -> None:
        body = {"kind": "Status", "apiVersion": "v1", "status": "Failure"}
        self._send(code, {**body, "message": message, "reason": reason, "code": code})

    def _stream(self, chunks: Iterator[str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self) -> tuple[str, str, str | None, str | None, dict[str, str]]:
        """(kind, namespace, name, subresource, query) of the request's path."""
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        # /api/v1/namespaces/NS/pods[/NAME[/log]] or /apis/batch/v1/namespaces/NS/jobs[/NAME]
        offset = 2 if parts[0] == "api" else 3
        namespace, plural = parts[offset + 1], parts[offset + 2]
        name = parts[offset + 3] if len(parts) > offset + 3 else None
        sub = parts[offset + 4] if len(parts) > offset + 4 else None
        return ("Pod" if plural == "pods" else "Job"), namespace, name, sub, query

    def do_POST(self) -> None:
        kind, namespace, _, _, _ = self._route()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if kind != "Job":
            return self._status(405, "MethodNotAllowed", "only Jobs are created here")
        self._send(201, self.fake.create_job(namespace, body))

    def do_GET(self) -> None:
        kind, namespace, name, sub, query = self._route()
        fake = self.fake
        store = fake.pods if kind == "Pod" else fake.jobs
        if name and sub == "log":
            if (namespace, name) not in fake.logs:
                return self._status(400, "BadRequest", f"pod {name} is not running")
            if query.get("follow") != "true":
                text = "\n".join(fake.logs[(namespace, name)])
                data = text.encode()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(data)
                return None
            return self._stream(line + "\n" for line in fake.follow_log(namespace, name))
        if name:
            with fake.cond:
                found = copy.deepcopy(store.get((namespace, name)))
            if found is None:
                return self._status(404, "NotFound", f'{kind.lower()}s "{name}" not found')
            return self._send(200, found)
        selector = query.get("labelSelector")
        if query.get("watch") == "true":
            events = fake.watch(
                kind,
                namespace,
                selector,
                query.get("resourceVersion"),
                float(query.get("timeoutSeconds", 1800)),
            )
            return self._stream(json.dumps(event) + "\n" for event in events)
        with fake.cond:
            items = [
                copy.deepcopy(obj)
                for (ns, _), obj in store.items()
                if ns == namespace and _matches(obj, selector)
            ]
            rv = str(fake.rv)
        api = "v1" if kind == "Pod" else "batch/v1"
        self._send(
            200,
            {
                "apiVersion": api,
                "kind": f"{kind}List",
                "metadata": {"resourceVersion": rv},
                "items": items,
            },
        )
        return None

    def do_DELETE(self) -> None:
        kind, namespace, name, _, query = self._route()
        fake = self.fake
        assert name is not None
        fake.deletes.append((kind, name, query))
        grace = float(query["gracePeriodSeconds"]) if "gracePeriodSeconds" in query else None
        with fake.cond:
            found = copy.deepcopy(
                (fake.pods if kind == "Pod" else fake.jobs).get((namespace, name))
            )
        if found is None:
            return self._status(404, "NotFound", f'{kind.lower()}s "{name}" not found')
        if kind == "Pod":
            threading.Thread(
                target=fake.delete_pod, args=(namespace, name, grace or 0), daemon=True
            ).start()
        else:
            threading.Thread(
                target=fake.delete_job, args=(namespace, name, grace), daemon=True
            ).start()
        found["metadata"]["deletionTimestamp"] = _now()
        self._send(200, found)
        return None


def _container_state(pod: dict[str, Any]) -> dict[str, Any]:
    statuses = pod.get("status", {}).get("containerStatuses") or [{}]
    return dict(statuses[0].get("state") or {})


def _signal_group(pid: int, sig: int) -> None:
    """Signal a pod's process group; it may have ended since it was polled."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
