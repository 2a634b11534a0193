#!/bin/sh
# Install the canh agent on a Debian/Ubuntu/RHEL machine and enroll it.
# usage: sudo sh install-agent.sh BUNDLE_FILE [WHEEL_OR_PACKAGE]
set -eu
bundle=${1:?usage: install-agent.sh BUNDLE_FILE [canh wheel or package spec]}
package=${2:-canh}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 (3.11+) is required" >&2; exit 1; }
python3 -m venv /opt/canh-agent/.venv
/opt/canh-agent/.venv/bin/pip install --quiet "$package"
install -d -m 0755 /etc/canh
[ -f /etc/canh/agent.toml ] || printf 'data_dir = "/var/lib/canh-agent"\n' > /etc/canh/agent.toml
install -d -m 0700 /var/lib/canh-agent
/opt/canh-agent/.venv/bin/canh agent enroll "@$bundle" --config /etc/canh/agent.toml
install -m 0644 "$(dirname "$0")/../systemd/canh-agent.service" /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now canh-agent.service
/opt/canh-agent/.venv/bin/canh agent status --config /etc/canh/agent.toml
