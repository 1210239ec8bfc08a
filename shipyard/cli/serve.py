"""``shipyard serve``, ``shipyard deploy online`` and ``shipyard deployments``."""

from __future__ import annotations

import dataclasses
import inspect
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard import DeploymentRecord, get_deployment, list_deployments as stored_deployments
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.core.serve_options import TRUST_HELP, ServeOptions
from shipyard.core.yamlfile import parse_scalar
from shipyard.serving.deploy import deploy_declared, deploy_online
from shipyard.serving.kubernetes import KubernetesOptions, kubernetes_manifests
from shipyard.serving.online.api import serve as serve_target

TOKENS_ENV = "SHIPYARD_SERVE_TOKENS"


def serve(
    ctx: typer.Context,
    target: str,
    token_file: Path | None = None,
    trust: list[str] | None = None,
    **options: Any,
) -> None:
    """Serve a model over HTTP until SIGTERM or Ctrl-C; follows its alias as it moves."""
    given = {name: value for name, value in options.items() if value is not None}
    tokens = _tokens(token_file)  # an unusable token file stops here, before anything starts
    ws = state(ctx).workspace()
    host = given.get("host", ServeOptions.host)
    port = given.get("port", ServeOptions.port)
    say(f"Serving {target} on http://{host}:{port} with {given.get('workers', 1)} worker(s)…")
    serve_target(target, workspace=ws, tokens=tokens,
                 trusted_types=tuple(trust) if trust else None, **given)  # fmt: skip


def _option_parameters() -> list[inspect.Parameter]:
    """``shipyard serve``'s options, derived from the ServeOptions declaration: every option
    defaults to None (unset), so a deployment's config and the settings apply unless given."""
    parameters = []
    for item in dataclasses.fields(ServeOptions):
        spec = item.metadata
        if "help" not in spec or spec["flag"] is None:
            continue
        kind = type(item.default) if item.default is not None else int
        dashed = item.name.replace("_", "-")
        flag = spec["flag"] or (f"--{dashed}/--no-{dashed}" if kind is bool else f"--{dashed}")
        bounds = [
            f"{word} {spec[key]:g}"
            for key, word in (("ge", "at least"), ("gt", "above"), ("le", "at most"))
            if spec[key] is not None
        ]
        choices = " or ".join(spec["choices"])
        help_text = spec["help"] + (f" {choices}." if choices else "") + (
            f" ({', '.join(bounds)})" if bounds else "")  # fmt: skip
        annotation = Annotated[kind | None, typer.Option(flag, help=help_text,  # type: ignore[valid-type]
                                                         show_default=False)]  # fmt: skip
        parameters.append(inspect.Parameter(item.name, inspect.Parameter.KEYWORD_ONLY,
                                            default=None, annotation=annotation))  # fmt: skip
    return parameters


def _derive_signature() -> None:
    keyword = inspect.Parameter.KEYWORD_ONLY
    fixed = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=typer.Context),
        inspect.Parameter("target", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[
            str, typer.Argument(help="NAME@ALIAS, NAME/VERSION or a deployment name.")]),
        inspect.Parameter("token_file", keyword, default=None, annotation=Annotated[
            Path | None,
            typer.Option(help=f"File of bearer tokens, one per line (or set {TOKENS_ENV}).")]),
        inspect.Parameter("trust", keyword, default=None, annotation=Annotated[
            list[str] | None,
            typer.Option(help=TRUST_HELP)]),
    ]  # fmt: skip
    parameters = [*fixed, *_option_parameters()]
    serve.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    serve.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}


_derive_signature()


def _tokens(token_file: Path | None) -> tuple[str, ...] | None:
    tokens = [t.strip() for t in os.environ.get(TOKENS_ENV, "").split(",") if t.strip()]
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"Cannot read the token file {token_file}: {exc}") from exc
        found = [t for t in (line.strip() for line in lines) if t and not t.startswith("#")]
        if not found:
            raise UsageError(
                f"The token file {token_file} holds no token, only comments or blank lines.",
                hint="Put one bearer token per line, or leave out --token-file.",
            )
        tokens += found
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
    force: Annotated[
        bool,
        typer.Option(
            help="Give traffic to a version the served alias's policy refuses, or a rejected "
            "one (needs --reason; audited with what it overrode)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Route traffic between versions (canary weights) and mirror it to shadows. A version
    given live traffic is checked as a promotion to the alias the deployment serves is.

    Without --route the deployment is read from the `deployments:` section of shipyard.yaml.
    A running server picks the change up at its next poll.
    """
    st = state(ctx)
    ws = st.workspace()
    if route:
        record = deploy_online(name, routes=route, shadows=shadow or [],
                               config=_config(config or []), reason=reason,
                               force=force, workspace=ws)  # fmt: skip
    else:
        if shadow or config:
            raise UsageError("--shadow and --config need --route (or use shipyard.yaml).")
        record = deploy_declared(name, config_file=st.settings().config_file, reason=reason,
                                 force=force, workspace=ws)  # fmt: skip
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
        values[key.strip()] = parse_scalar(value)
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
    found = stored_deployments(mode=mode, model=model, workspace=state(ctx).workspace())
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
    record = get_deployment(name, workspace=state(ctx).workspace())
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
