"""``shipyard serve``, ``shipyard deploy online`` and ``shipyard deployments``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.serving.deploy import deploy_declared, deploy_online, deployments_of
from shipyard.serving.kubernetes import KubernetesOptions, kubernetes_manifests
from shipyard.serving.online.api import serve as serve_target
from shipyard.store.deployments import DeploymentRecord

TOKENS_ENV = "SHIPYARD_SERVE_TOKENS"


def serve(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="NAME@ALIAS, NAME/VERSION or a deployment name.")],
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    max_batch_size: Annotated[
        int | None, typer.Option(min=1, help="Most rows predicted in one model call.")
    ] = None,
    max_wait_ms: Annotated[
        float | None, typer.Option(min=0, help="Longest a batch waits for company (ms).")
    ] = None,
    batching: Annotated[bool, typer.Option(help="Micro-batch concurrent requests.")] = True,
    token_file: Annotated[
        Path | None,
        typer.Option(help=f"File of bearer tokens, one per line (or set {TOKENS_ENV})."),
    ] = None,
    max_body: Annotated[int | None, typer.Option(min=1024, help="Largest body (bytes).")] = None,
    extra: Annotated[
        str | None, typer.Option(help="Unexpected columns: reject (default) or ignore.")
    ] = None,
    unknown_categories: Annotated[
        str | None, typer.Option(help="Categories the signature lacks: reject or allow.")
    ] = None,
    log_predictions: Annotated[
        bool, typer.Option("--log/--no-log", help="Write the prediction log.")
    ] = True,
    access_log: Annotated[bool, typer.Option(help="Log every request (JSON).")] = False,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Native (OpenMP, BLAS) threads per worker; 1.")
    ] = None,
    trusted: Annotated[
        bool, typer.Option(help="Allow models whose loading runs code (pickle, joblib).")
    ] = False,
    trust: Annotated[
        list[str] | None,
        typer.Option(help="A skops type to trust (repeatable), besides the trusted_types setting."),
    ] = None,
) -> None:
    """Serve a model over HTTP until SIGTERM or Ctrl-C; follows its alias as it moves."""
    ws = state(ctx).workspace()
    say(f"Serving {target} on http://{host}:{port} with {workers} worker(s)…")
    serve_target(
        target, workspace=ws, workers=workers, host=host, port=port,
        max_batch_size=max_batch_size, max_wait_ms=max_wait_ms, batching=batching,
        tokens=_tokens(token_file), max_body_bytes=max_body, extra=extra,
        unknown_categories=unknown_categories, log_predictions=log_predictions,
        access_log=access_log, threads=threads, trusted=trusted,
        trusted_types=tuple(trust) if trust else None,
    )  # fmt: skip


def _tokens(token_file: Path | None) -> tuple[str, ...] | None:
    tokens = [t.strip() for t in os.environ.get(TOKENS_ENV, "").split(",") if t.strip()]
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"Cannot read the token file {token_file}: {exc}") from exc
        tokens += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return tuple(tokens) or None


deploy_app = typer.Typer(help="Create or change deployments.", no_args_is_help=True)


@deploy_app.command("online")
def deploy_online_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The deployment's name.")],
    route: Annotated[
        list[str] | None,
        typer.Option(help="MODEL/VERSION=WEIGHT or MODEL@ALIAS=WEIGHT (repeatable)."),
    ] = None,
    shadow: Annotated[
        list[str] | None, typer.Option(help="MODEL/VERSION mirrored off the request path.")
    ] = None,
    config: Annotated[
        list[str] | None, typer.Option(help="Serving option KEY=VALUE, e.g. max_batch_size=32.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Route traffic between versions (canary weights) and mirror it to shadows.

    Without --route the deployment is read from the `deployments:` section of shipyard.yaml.
    A running server picks the change up at its next poll.
    """
    st = state(ctx)
    ws = st.workspace()
    if route:
        record = deploy_online(name, routes=route, shadows=shadow or [],
                               config=_config(config or []), reason=reason,
                               workspace=ws)  # fmt: skip
    else:
        if shadow or config:
            raise UsageError("--shadow and --config need --route (or use shipyard.yaml).")
        record = deploy_declared(name, config_file=st.settings().config_file, reason=reason,
                                 workspace=ws)  # fmt: skip
    if as_json:
        print_json(record.to_dict())
        return
    say(f"Deployment {record.name}: {_routes(record)}"
        + (f"; shadows {', '.join(f'{record.model_name}/{v}' for v in record.shadows)}"
           if record.shadows else ""))  # fmt: skip


def _config(pairs: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--config {pair!r} is not KEY=VALUE.",
                             hint="For example --config max_batch_size=32.")  # fmt: skip
        values[key.strip()] = yaml.safe_load(value)
    return values


def _routes(record: DeploymentRecord) -> str:
    parts = []
    for route in record.routes:
        target = f"@{route['alias']}" if "alias" in route else f"/{route['version']}"
        parts.append(f"{record.model_name}{target}={route['weight']:g}")
    return ", ".join(parts)


deployments_app = typer.Typer(help="List and inspect deployments.", no_args_is_help=True)


@deployments_app.command("list")
def list_deployments(
    ctx: typer.Context,
    mode: Annotated[str | None, typer.Option(help="online, batch or stream.")] = None,
    model: Annotated[str | None, typer.Option(help="Only deployments of this model.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List deployments with their routes and status."""
    found = deployments_of(state(ctx).workspace()).list(mode=mode, model=model)
    if as_json:
        print_json([d.to_dict() for d in found])
        return
    print_table(
        "Deployments",
        ["name", "mode", "model", "routes", "shadows", "status", "updated"],
        ([d.name, d.mode, d.model_name, _routes(d), d.shadows, d.status, d.updated_at]
         for d in found),
    )  # fmt: skip


@deployments_app.command("show")
def show_deployment(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The deployment's name.")],
    as_json: JsonOption = False,
) -> None:
    """Show one deployment: routes, shadows, configuration, status and counters."""
    record = deployments_of(state(ctx).workspace()).get(name)
    if as_json:
        print_json(record.to_dict())
        return
    print_fields(
        f"Deployment {record.name}",
        [("mode", record.mode), ("model", record.model_name), ("routes", _routes(record)),
         ("shadows", record.shadows), ("status", record.status), ("config", record.config),
         ("stats", record.stats), ("created", record.created_at),
         ("updated", record.updated_at)],
    )  # fmt: skip


@deploy_app.command("kubernetes")
def deploy_kubernetes_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The online deployment to run on Kubernetes.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the files to.")],
    image: Annotated[
        str | None, typer.Option(help="Image name (default shipyard-NAME:VERSION).")
    ] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace of the resources.")] = None,
    min_replicas: Annotated[int, typer.Option(min=1, help="Fewest pods.")] = 2,
    max_replicas: Annotated[int, typer.Option(min=1, help="Most pods.")] = 10,
    secret: Annotated[
        str | None, typer.Option(help="Secret with the store URL, tokens, S3 keys (NAME-shipyard).")
    ] = None,
    kserve: Annotated[bool, typer.Option(help="Also write a KServe InferenceService.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a Dockerfile and Kubernetes manifests (Deployment, Service, autoscaler) serving
    an online deployment. AWS_ENDPOINT_URL and AWS_DEFAULT_REGION, when set, are passed on."""
    ws = state(ctx).workspace()
    environment = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")
                   if os.environ.get(k)}  # fmt: skip
    options = KubernetesOptions(
        image=image, namespace=namespace, min_replicas=min_replicas, max_replicas=max_replicas,
        secret=secret, environment=environment, kserve=kserve,
    )  # fmt: skip
    bundle = kubernetes_manifests(name, output, options=options, workspace=ws)
    if as_json:
        print_json({"directory": str(bundle.directory),
                    "files": {k: str(v) for k, v in bundle.files.items()}})  # fmt: skip
        return
    say(f"Wrote {', '.join(bundle.files)} to {bundle.directory}")
