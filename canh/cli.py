"""The ``canh`` command: one group, each subcommand a thin wrapper whose help ends in examples.

Server parts are imported inside the commands that need them, so an agent-only install (no
FastAPI, scapy or paramiko) runs ``canh agent …`` fine. Only this module turns errors into exit
codes and messages.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from canh import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """An error the person at the terminal can fix; printed without a traceback."""


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_: str,
    examples: Sequence[str],
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    p = sub.add_parser(
        name,
        help=help_,
        description=help_,
        epilog=_examples(*examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if handler is not None:
        p.set_defaults(handler=handler)
    return p


def _data_dir(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(default),
        help=f"where the data lives (default: {default})",
    )


# --- demo -------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from canh.demo import DemoError, run_demo

    try:
        return run_demo(args.data_dir, once=args.once, port=args.port)
    except DemoError as err:
        raise UserError(str(err)) from err


# --- collector --------------------------------------------------------------------------------


def cmd_collector_init(args: argparse.Namespace) -> int:
    from collector.serve import init

    settings, password = init(args.data_dir, args.listen, args.port, args.public_url)
    print(f"collector data in {settings.data_dir}; agents will reach it at {settings.url}")
    if password:
        print(f"administrator: admin / {password}   (shown once; change it after logging in)")
    print(f"start it with: canh collector serve --data-dir {args.data_dir}")
    return EXIT_OK


def cmd_collector_serve(args: argparse.Namespace) -> int:
    from collector.serve import serve
    from collector.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.data_dir)
    except ConfigError as err:
        raise UserError(str(err)) from err
    serve(settings)
    return EXIT_OK


def _offline_store(data_dir: Path):  # type: ignore[no-untyped-def]
    from collector.settings import ConfigError, load_settings
    from collector.store import Store

    try:
        settings = load_settings(data_dir)
    except ConfigError as err:
        raise UserError(str(err)) from err
    store = Store(settings.db_path)
    store.start()
    return settings, store


def cmd_unit(args: argparse.Namespace) -> int:
    from collector.errors import ApiError

    _settings, store = _offline_store(args.data_dir)
    try:
        if args.action == "create":
            uid = store.create_unit(
                args.name, args.parent, args.pack, args.level, actor="cli", unit_id=args.id
            )
            print(uid)
        else:
            for unit in store.units():
                print(
                    f"{unit['id']}\t{unit['parent_id'] or '-'}\t{unit['pack']}\t"
                    f"L{unit['level']}\t{unit['name']}"
                )
    except ApiError as err:
        raise UserError(err.message) from err
    finally:
        store.close()
    return EXIT_OK


def cmd_token(args: argparse.Namespace) -> int:
    from collector.api.units import make_bundle
    from collector.errors import ApiError
    from collector.tls import TlsFiles

    settings, store = _offline_store(args.data_dir)
    try:
        _tid, token, _exp = store.create_token(args.unit, args.uses, args.ttl_hours * 3600, "cli")
    except ApiError as err:
        raise UserError(err.message) from err
    finally:
        store.close()
    ca_pem = TlsFiles(settings.path / "tls").ca_cert.read_text()
    print(make_bundle(settings.url, token, ca_pem))
    return EXIT_OK


def cmd_user(args: argparse.Namespace) -> int:
    from collector.errors import ApiError
    from collector.passwords import check_password_strength

    if args.password_file:
        password = args.password_file.read_text().strip()
    else:
        password = getpass.getpass(f"password for {args.username}: ")
    try:
        check_password_strength(password)
    except ValueError as err:
        raise UserError(str(err)) from err
    _settings, store = _offline_store(args.data_dir)
    try:
        print(store.create_user(args.username, password, args.role, args.unit, actor="cli"))
    except ApiError as err:
        raise UserError(err.message) from err
    finally:
        store.close()
    return EXIT_OK


def cmd_collector_scan(args: argparse.Namespace) -> int:
    from collector.errors import ApiError
    from collector.evaluate import Knowledge
    from collector.scanning import scan_unit
    from inventory.errors import InventoryError
    from inventory.settings import ScanSettings

    _settings, store = _offline_store(args.data_dir)
    try:
        result, recorded = scan_unit(
            store, Knowledge(), args.unit, ScanSettings(rate_pps=args.rate, banner=args.banner)
        )
    except (ApiError, InventoryError) as err:
        raise UserError(getattr(err, "message", str(err))) from err
    finally:
        store.close()
    print(
        f"{len(result.devices)} devices on {', '.join(result.targets)}; "
        f"{len(recorded.new_unmanaged)} new unmanaged"
    )
    for device in recorded.new_unmanaged:
        print(
            f"  new: {device['ip']} {device['mac'] or '-'} {device['vendor'] or ''} "
            f"({device['type']})"
        )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from collector.backup import BackupError, backup
    from collector.settings import ConfigError, load_settings

    try:
        size = backup(load_settings(args.data_dir).db_path, args.dest)
    except (BackupError, ConfigError) as err:
        raise UserError(str(err)) from err
    print(f"backup written: {args.dest} ({size} bytes)")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from collector.backup import BackupError, restore
    from collector.settings import ConfigError, load_settings

    try:
        restore(args.src, load_settings(args.data_dir).db_path)
    except (BackupError, ConfigError) as err:
        raise UserError(str(err)) from err
    print(f"restored {args.src}; start the collector again")
    return EXIT_OK


def cmd_cert(args: argparse.Namespace) -> int:
    from collector.settings import ConfigError, load_settings
    from collector.tls import (
        CertificateError,
        TlsFiles,
        default_names,
        import_cert,
        issue_server_cert,
    )

    try:
        settings = load_settings(args.data_dir)
        files = TlsFiles(settings.path / "tls")
        if args.action == "rotate":
            issue_server_cert(files, args.name or default_names(settings.listen_host))
        else:
            if not (args.cert and args.key):
                raise UserError("cert import needs --cert and --key")
            import_cert(files, args.cert.read_bytes(), args.key.read_bytes())
    except (ConfigError, CertificateError, OSError) as err:
        raise UserError(str(err)) from err
    print(f"server certificate replaced in {files.directory}; restart the collector to use it")
    return EXIT_OK


# --- agent ------------------------------------------------------------------------------------


def _agent_settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from agent.config import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        raise UserError(str(err)) from err
    if args.data_dir is not None:
        settings.data_dir = str(args.data_dir)
    return settings


def cmd_agent_enroll(args: argparse.Namespace) -> int:
    from agent.service import enroll
    from agent.transport import CollectorRefused, CollectorUnavailable
    from canh.contract import BundleInvalid

    text = args.bundle
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    try:
        state = enroll(_agent_settings(args), text)
    except (BundleInvalid, CollectorRefused, CollectorUnavailable) as err:
        raise UserError(str(err)) from err
    print(f"enrolled as {state.agent_id} in unit {state.unit_id}")
    return EXIT_OK


def cmd_agent_once(args: argparse.Namespace) -> int:
    from agent.gather import dry_run
    from agent.host import LocalHost, os_family
    from agent.state import NotEnrolled, StateStore

    settings = _agent_settings(args)
    if args.dry_run:
        try:
            agent_id = StateStore(Path(settings.data_dir)).load().agent_id
        except NotEnrolled:
            agent_id = "not-enrolled"  # a dry run works before enrollment too
        report = dry_run(LocalHost(os_family()), agent_id)
        sys.stdout.write(json.dumps(json.loads(report), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    from agent.service import once

    try:
        result = once(settings)
    except NotEnrolled as err:
        raise UserError(str(err)) from err
    print(
        f"report {result.seq}: sent {result.sent}, waiting {result.pending}"
        + (f", error: {result.error}" if result.error else "")
    )
    return EXIT_OK if result.error is None else EXIT_ERROR


def cmd_agent_run(args: argparse.Namespace) -> int:
    from agent.service import run
    from agent.state import NotEnrolled

    try:
        run(_agent_settings(args))
    except NotEnrolled as err:
        raise UserError(str(err)) from err
    return EXIT_OK


def cmd_agent_status(args: argparse.Namespace) -> int:
    from agent.service import status
    from agent.state import NotEnrolled

    try:
        info = status(_agent_settings(args))
    except NotEnrolled as err:
        raise UserError(str(err)) from err
    for key, value in info.items():
        print(f"{key}: {value}")
    return EXIT_OK


# --- checks -----------------------------------------------------------------------------------


def cmd_checks_list(args: argparse.Namespace) -> int:
    from checks import PackError, builtin_pack
    from checks.registry import all_checks

    registry = all_checks()
    try:
        pack = builtin_pack(args.pack)
    except (PackError, KeyError) as err:
        raise UserError(str(err)) from err
    reqs = pack.for_level(args.level)
    if args.json:
        out = [
            {
                "id": r.id,
                "title": {"vi": r.title.vi, "en": r.title.en},
                "scope": r.scope,
                "evidence": list(r.evidence),
                "mandatory": r.mandatory,
                "weight": r.weight,
                "checks": list(r.checks),
                "clauses": dict(r.clauses),
            }
            for r in reqs
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return EXIT_OK
    lang = args.lang
    print(f"{pack.id} — {pack.title.get(lang)}: {len(reqs)} requirements at level {args.level}")
    for r in reqs:
        flag = "*" if r.mandatory else " "
        print(f"{flag} {r.id:<20} [{'+'.join(r.evidence):<5}] {r.title.get(lang)}")
        for cid in r.checks:
            spec = registry.get(cid)
            print(f"      {cid:<34} {spec.title.get(lang) if spec else '(not available)'}")
    print("* mandatory for the level")
    return EXIT_OK


def cmd_checks_explain(args: argparse.Namespace) -> int:
    from checks import PackError, builtin_pack
    from checks.registry import all_checks

    registry = all_checks()
    lang = args.lang
    spec = registry.get(args.id)
    if spec is not None:
        print(f"{spec.id} ({spec.severity}) — {spec.title.get(lang)}")
        print(f"  why:  {spec.rationale.get(lang)}")
        print(f"  fix:  {spec.remediation.get(lang)}")
        print(f"  reads facts: {', '.join(spec.sections)}; OS: {', '.join(spec.os_families)}")
        if spec.thresholds:
            print(f"  thresholds: {', '.join(spec.thresholds)}")
        return EXIT_OK
    try:
        pack = builtin_pack(args.pack)
    except (PackError, KeyError) as err:
        raise UserError(str(err)) from err
    for r in pack.requirements:
        if r.id == args.id:
            print(f"{r.id} — {r.title.get(lang)}")
            print(f"  {r.summary.get(lang)}")
            print(f"  clauses: {', '.join(f'{k} {v}' for k, v in r.clauses.items())}")
            print(
                f"  scope {r.scope}, evidence {'+'.join(r.evidence)}, weight {r.weight}, "
                f"{'mandatory' if r.mandatory else 'optional'}, from level {r.min_level}"
            )
            for cid in r.checks:
                print(f"  check {cid}")
            if r.declaration:
                print(f"  declare: {r.declaration.get(lang)}")
            return EXIT_OK
    raise UserError(f"no check or requirement {args.id!r}; see 'canh checks list'")


# --- the parser -------------------------------------------------------------------------------


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="canh",
        description="canh — network-security and IT-asset monitoring, scored against Vietnam's "
        "level-2 information-security requirements.",
        epilog=_examples(
            "canh demo                       # everything on this machine, one command",
            "canh collector init --data-dir /var/lib/canh",
            "canh agent enroll @bundle.txt && canh agent once",
            "canh checks list --pack vn-2026",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"canh {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups = {
        "demo": _add_demo,
        "collector": _add_collector,
        "agent": _add_agent,
        "checks": _add_checks,
    }
    if only in groups:
        # One group only: the long-running agent then never imports the inventory and report
        # command modules (~2 MiB resident, ~30 ms of start-up) just to declare their arguments.
        groups[only](sub)
        return parser
    for add in (_add_demo, _add_collector, _add_agent, _add_inventory, _add_report, _add_checks):
        add(sub)
    return parser


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = _parser(
        sub,
        "demo",
        "run a collector, enroll this machine, score it, serve the dashboard",
        ["canh demo", "canh demo --once --data-dir /tmp/canh-demo"],
        cmd_demo,
    )
    _data_dir(demo, "canh-demo")
    demo.add_argument("--once", action="store_true", help="one round, print the summary, exit")
    demo.add_argument("--port", type=int, default=0, help="collector port (default: a free one)")


def _add_collector(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    col = _parser(
        sub,
        "collector",
        "the central server",
        [
            "canh collector init --data-dir /var/lib/canh --listen 0.0.0.0 "
            "--public-url https://canh.syt.example:8443",
            "canh collector serve --data-dir /var/lib/canh",
        ],
    )
    csub = col.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = _parser(
        csub,
        "init",
        "create settings, CA and server certificate, database, admin",
        ["canh collector init --data-dir /var/lib/canh"],
        cmd_collector_init,
    )
    _data_dir(p, "/var/lib/canh")
    p.add_argument("--listen", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8443, help="port to listen on")
    p.add_argument("--public-url", help="URL agents use (default https://LISTEN:PORT)")
    p = _parser(
        csub,
        "serve",
        "serve HTTPS until stopped",
        ["canh collector serve --data-dir /var/lib/canh"],
        cmd_collector_serve,
    )
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "unit",
        "create or list units",
        [
            "canh collector unit create 'Sở Y tế' --id syt",
            "canh collector unit create 'Bệnh viện tỉnh' --parent syt",
            "canh collector unit list",
        ],
        cmd_unit,
    )
    p.add_argument("action", choices=["create", "list"])
    p.add_argument("name", nargs="?", default="")
    p.add_argument("--id", help="stable id (default: generated)")
    p.add_argument("--parent", help="parent unit id")
    p.add_argument("--pack", default="vn-2026", help="rule pack")
    p.add_argument("--level", type=int, default=2, choices=[1, 2, 3])
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "token",
        "create an enrollment token bundle for a unit",
        ["canh collector token --unit syt --uses 50 > bundle.txt"],
        cmd_token,
    )
    p.add_argument("--unit", required=True)
    p.add_argument("--uses", type=int, default=1)
    p.add_argument("--ttl-hours", type=int, default=72)
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "user",
        "create a user (admin, unit_it, auditor)",
        ["canh collector user it-bvt --role unit_it --unit bvt"],
        cmd_user,
    )
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["admin", "unit_it", "auditor"])
    p.add_argument("--unit", help="the unit of a unit_it user")
    p.add_argument("--password-file", type=Path, help="read the password from this file")
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "backup",
        "online backup of the database (safe while the collector runs)",
        ["canh collector backup /backup/canh-$(date +%F).db --data-dir /var/lib/canh"],
        cmd_backup,
    )
    p.add_argument("dest", type=Path, help="new file to write")
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "scan",
        "discover devices on a unit's declared subnets and record them (run as root, from cron "
        "or a systemd timer)",
        ["canh collector scan --unit bvdk --data-dir /var/lib/canh"],
        cmd_collector_scan,
    )
    p.add_argument("--unit", required=True, help="unit whose declared subnets are scanned")
    p.add_argument("--rate", type=float, default=200.0, help="packets per second (default 200)")
    p.add_argument("--banner", action="store_true", help="read banners of open TCP ports")
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "restore",
        "replace the database with a verified backup (stop the collector first)",
        ["canh collector restore /backup/canh-2026-12-01.db --data-dir /var/lib/canh"],
        cmd_restore,
    )
    p.add_argument("src", type=Path, help="backup file")
    _data_dir(p, "/var/lib/canh")
    p = _parser(
        csub,
        "cert",
        "rotate the server certificate (agents pin the CA, so nothing breaks) or bring your own",
        [
            "canh collector cert rotate --name canh.syt.local --data-dir /var/lib/canh",
            "canh collector cert import --cert srv.pem --key srv.key --data-dir /var/lib/canh",
        ],
        cmd_cert,
    )
    p.add_argument("action", choices=["rotate", "import"])
    p.add_argument("--name", action="append", default=[], help="DNS name or IP (repeatable)")
    p.add_argument("--cert", type=Path, help="PEM certificate chained to the collector's CA")
    p.add_argument("--key", type=Path, help="its PEM private key")
    _data_dir(p, "/var/lib/canh")


def _add_agent(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ag = _parser(
        sub,
        "agent",
        "the agent on this machine",
        ["canh agent enroll @bundle.txt", "canh agent once --dry-run", "canh agent status"],
    )
    asub = ag.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_, handler, examples in (
        (
            "enroll",
            "enroll with a token bundle (text, or @file)",
            cmd_agent_enroll,
            ["canh agent enroll @bundle.txt", "canh agent enroll canh1.eyJ2Ijo…"],
        ),
        (
            "once",
            "gather and send one report",
            cmd_agent_once,
            ["canh agent once", "canh agent once --dry-run | less"],
        ),
        (
            "run",
            "gather and send every interval until stopped",
            cmd_agent_run,
            ["canh agent run --config /etc/canh/agent.toml"],
        ),
        ("status", "last send, spool depth, errors", cmd_agent_status, ["canh agent status"]),
    ):
        p = _parser(asub, name, help_, examples, handler)
        p.add_argument("--config", type=Path, help="settings file (default /etc/canh/agent.toml)")
        p.add_argument("--data-dir", type=Path, help="override the settings' data_dir")
        if name == "enroll":
            p.add_argument("bundle")
        if name == "once":
            p.add_argument(
                "--dry-run",
                action="store_true",
                help="print the report as JSON; send nothing, change nothing",
            )


def _add_inventory(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # inventory.cli declares the arguments and loads scapy/paramiko only when a command runs.
    from inventory.cli import add_scan_parser, add_ssh_parser

    add_scan_parser(sub)
    add_ssh_parser(sub)


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # The report modules load python-docx, openpyxl and matplotlib only when a report is written.
    from collector.reports.cli import add_report_parser

    add_report_parser(sub)


def _add_checks(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ch = _parser(
        sub,
        "checks",
        "the level-2 catalogue and its checks",
        ["canh checks list", "canh checks explain L2-SRV-MAL-1"],
    )
    chsub = ch.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = _parser(
        chsub,
        "list",
        "requirements and their checks",
        ["canh checks list --pack vn-legacy --lang en", "canh checks list --json"],
        cmd_checks_list,
    )
    p.add_argument("--pack", default="vn-2026")
    p.add_argument("--level", type=int, default=2, choices=[1, 2, 3])
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", default="vi", choices=["vi", "en"])
    p = _parser(
        chsub,
        "explain",
        "what a requirement or check means and needs",
        ["canh checks explain ports.risky_exposed", "canh checks explain L2-EPT-AV-1"],
        cmd_checks_explain,
    )
    p.add_argument("id")
    p.add_argument("--pack", default="vn-2026")
    p.add_argument("--lang", default="vi", choices=["vi", "en"])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=words[0] if words else None)
    args = parser.parse_args(words)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return handler(args)
    except UserError as err:
        print(f"canh: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
