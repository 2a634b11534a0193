"""Pending apt updates read from the package lists, without apt's dependency solver.

``apt-get -s dist-upgrade`` costs seconds and ~80 MiB on a Debian machine whose pkgcache is off
(Docker images, see /etc/apt/apt.conf.d/docker-clean): more than the whole rest of the
inventory. The answer the patches section needs is simpler than a solver's: which installed
packages have a newer *candidate* in the lists the host already has, and which of those
candidates come from a security archive — what ``apt list --upgradable`` lists.

One shell command (:data:`SCRIPT`, the same over SSH) prints, small enough to send back:

* ``@arch`` — dpkg's native architecture (``Architecture: all`` packages belong to it);
* ``@preferences`` — each apt preferences file; pins change candidates, so they are inspected
  (:func:`active_pins`);
* ``@default-release`` — the apt.conf files that mention ``APT::Default-Release`` (``grep -l``);
* ``@releases`` — the release files' header fields (Origin, Label, Suite, Codename, Version,
  NotAutomatic, ButAutomaticUpgrades) as ``grep -H`` prints them;
* ``@installed name arch version`` — from /var/lib/dpkg/status, every package with a current
  version (not ``not-installed`` / ``config-files``);
* ``@list`` — each ``*_Packages*`` list, decompressed by ``apt-helper cat-file`` (plain, gz,
  xz, lz4, zst…), followed by ``name arch version`` for the stanzas of installed names only
  (awk filters the ~50 MB of a Debian main list down to a few KB on the host);
* ``@end`` — the output is complete.

The candidate is chosen as apt's policy does without pins (``pkgPolicy::GetCandidateVer``, see
apt_preferences(5)): list priorities are 500, 1 for ``NotAutomatic: yes`` archives
(experimental, backports) and 100 when they also say ``ButAutomaticUpgrades: yes``; the
installed version has 100. Going down from the newest version, the first one with the highest
priority wins, and versions older than the installed one are never candidates. So backports and
experimental offer upgrades only to what was installed from them (ButAutomaticUpgrades) and
never pull a package there by themselves.

Not modelled, so the caller falls back to apt itself: pins that can apply (a preferences stanza
whose packages are installed and whose ``origin`` / ``release`` matches an archive with lists,
see :func:`active_pins`) and ``APT::Default-Release``. Lists of a source removed from
sources.list without a later ``apt-get update`` are still read here (apt ignores them until the
update deletes them); phased updates (Ubuntu) count as pending, as in ``apt list --upgradable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from agent.linux import debversion

# $1 is a filesystem root ("" on a real host): tests run this very script on fixture trees.
SCRIPT = r"""r=$1
lists="$r/var/lib/apt/lists"
echo "@arch $(dpkg --print-architecture 2>/dev/null)"
[ -x /usr/lib/apt/apt-helper ] || echo "@missing /usr/lib/apt/apt-helper"
for f in "$r/etc/apt/preferences" "$r/etc/apt/preferences.d/"*; do
  [ -f "$f" ] && { echo "@preferences $f"; head -c 65536 "$f"; echo; }
done
echo "@default-release"
grep -lis 'Default-Release' "$r/etc/apt/apt.conf" "$r/etc/apt/apt.conf.d/"*
echo "@releases"
grep -Hs -E '^(Origin|Label|Suite|Codename|Version|NotAutomatic|ButAutomaticUpgrades):' \
  "$lists/"*_InRelease "$lists/"*_Release
for f in "$lists/"*_Packages "$lists/"*_Packages.lz4 "$lists/"*_Packages.gz \
    "$lists/"*_Packages.xz "$lists/"*_Packages.zst "$lists/"*_Packages.bz2 \
    "$lists/"*_Packages.lzma; do
  [ -f "$f" ] || continue
  echo "@list $f"
  /usr/lib/apt/apt-helper cat-file "$f" || echo "@error $f"
done | grep -E '^(@|Package:|Version:|Architecture:)' | awk -v status="$r/var/lib/dpkg/status" '
function status_stanza() {
  if (p != "" && s != "" && s !~ / (not-installed|config-files)$/) {
    want[p] = 1
    print "@installed " p " " a " " v
  }
  p = s = a = v = ""
}
function list_stanza() {
  if (p in want) print p " " a " " v
  p = a = v = ""
}
BEGIN {
  while ((rc = (getline line < status)) > 0) {
    if (line == "") { status_stanza(); continue }
    split(line, w, " ")
    if (line ~ /^Package:/) p = w[2]
    else if (line ~ /^Status:/) s = line
    else if (line ~ /^Architecture:/) a = w[2]
    else if (line ~ /^Version:/) v = w[2]
  }
  if (rc < 0) print "@error " status
  status_stanza()
}
/^@/ { list_stanza(); print; next }
/^Package:/ { list_stanza(); p = $2; next }
/^Version:/ { v = $2; next }
/^Architecture:/ { a = $2; next }
END { list_stanza(); print "@end" }
'
"""


def command(root: str = "") -> list[str]:
    """The argv that prints everything :func:`parse_output` reads (``root`` for fixture trees)."""
    return ["sh", "-c", SCRIPT, "sh", root]


class Archive(msgspec.Struct, frozen=True):
    """An archive (suite) as its release file describes it."""

    origin: str = ""
    label: str = ""
    suite: str = ""
    codename: str = ""
    version: str = ""
    not_automatic: bool = False
    but_automatic_upgrades: bool = False

    @property
    def priority(self) -> int:
        """apt's default pin priority of the archive's lists."""
        if self.not_automatic:
            return 100 if self.but_automatic_upgrades else 1
        return 500

    @property
    def security(self) -> bool:
        """Debian's security archive (Label Debian-Security) or a ``*-security`` pocket."""
        return self.label.lower() == "debian-security" or any(
            name.endswith("-security") for name in (self.suite, self.codename)
        )


NO_RELEASE = Archive()


class Offer(msgspec.Struct, frozen=True):
    """A version of an installed package offered by one list."""

    version: str
    site: str
    archive: Archive


class AptLists(msgspec.Struct):
    """What :data:`SCRIPT` printed, parsed."""

    arch: str = ""
    complete: bool = False
    installed: dict[tuple[str, str], str] = msgspec.field(default_factory=dict)
    offers: dict[tuple[str, str], list[Offer]] = msgspec.field(default_factory=dict)
    archives: dict[str, Archive] = msgspec.field(default_factory=dict)  # release file → archive
    list_files: list[str] = msgspec.field(default_factory=list)
    preferences: dict[str, str] = msgspec.field(default_factory=dict)  # path → text
    default_release: list[str] = msgspec.field(default_factory=list)  # apt.conf files with it
    problems: list[str] = msgspec.field(default_factory=list)


def _basename(path: str) -> str:
    return path.rpartition("/")[2]


def _release_fields(lines: list[str]) -> Archive:
    found: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if colon and name not in found:  # the first one: a signature armour may repeat Version
            found[name] = value.strip()
    return Archive(
        origin=found.get("Origin", ""),
        label=found.get("Label", ""),
        suite=found.get("Suite", ""),
        codename=found.get("Codename", ""),
        version=found.get("Version", ""),
        not_automatic=found.get("NotAutomatic", "").lower() == "yes",
        but_automatic_upgrades=found.get("ButAutomaticUpgrades", "").lower() == "yes",
    )


def list_site(list_name: str) -> str:
    """The host a list came from: ``deb.debian.org_debian_dists_…`` → ``deb.debian.org``."""
    # apt escapes the port's colon as %3a in list names (URItoFileName).
    host = list_name.partition("_")[0].lower().replace("%3a", ":")
    return host.rpartition("@")[2].partition(":")[0]


def archive_for(list_name: str, archives: dict[str, Archive]) -> Archive:
    """The archive of a list file: the release file sharing the longest name prefix with it.

    ``…_dists_bookworm_main_binary-amd64_Packages`` belongs to ``…_dists_bookworm_InRelease``,
    not to ``…_dists_bookworm-updates_InRelease`` (the prefixes end at the ``_``)."""
    best, best_len = NO_RELEASE, -1
    for release_name, archive in archives.items():
        prefix = release_name.removesuffix("InRelease").removesuffix("Release")
        if list_name.startswith(prefix) and len(prefix) > best_len:
            best, best_len = archive, len(prefix)
    return best


def _key(name: str, arch: str, native: str) -> tuple[str, str]:
    # apt files Architecture: all packages under the native architecture.
    return name, native if arch == "all" else arch


def _marker(out: AptLists, mode: str, value: str) -> None:
    """A one-line ``@`` marker."""
    if mode == "arch":
        out.arch = value
    elif mode == "missing":
        out.problems.append(f"{value} is missing")
    elif mode == "error":
        out.problems.append(f"could not read {value}")
    elif mode == "installed":
        parts = value.split()
        if len(parts) == 3 and out.arch:
            out.installed[_key(parts[0], parts[1], out.arch)] = parts[2]
    elif mode == "end":
        out.complete = True


def _block(out: AptLists, mode: str, path: str, lines: list[str]) -> None:
    """The lines that followed a marker of several lines."""
    if mode == "releases":  # grep -H: "path:Field: value"
        fields: dict[str, list[str]] = {}
        for line in lines:
            release, colon, rest = line.partition(":")
            if colon:
                fields.setdefault(_basename(release), []).append(rest)
        out.archives.update((name, _release_fields(f)) for name, f in fields.items())
    elif mode == "preferences":
        out.preferences[path] = "\n".join(lines)
    elif mode == "default-release":  # grep -l: the apt.conf files that mention it
        out.default_release += [
            p for p in lines if "apt.conf.d/" not in p or apt_reads(_basename(p), "conf")
        ]


def parse_output(text: str) -> AptLists:
    """The lists, installed packages and configuration that :data:`SCRIPT` printed."""
    out = AptLists()
    mode, path, block = "", "", []
    site, archive = "", NO_RELEASE
    for line in text.splitlines():
        if not line.startswith("@"):
            parts = line.split()
            if mode in ("releases", "preferences", "default-release"):
                block.append(line)
            elif mode == "list" and len(parts) == 3 and out.arch:
                key = _key(parts[0], parts[1], out.arch)
                if key in out.installed:
                    out.offers.setdefault(key, []).append(Offer(parts[2], site, archive))
            continue
        _block(out, mode, path, block)
        block = []
        tag, _, rest = line.partition(" ")
        mode, path = tag[1:], rest.strip()
        if mode == "list":
            out.list_files.append(_basename(path))
            site, archive = list_site(_basename(path)), archive_for(_basename(path), out.archives)
        else:
            _marker(out, mode, path)
    _block(out, mode, path, block)
    if not out.arch:
        out.problems.append("dpkg --print-architecture printed nothing")
    if not out.complete:
        out.problems.append("the package list output was cut short")
    return out


def _preference_stanzas(text: str) -> Iterable[dict[str, str]]:
    """Stanzas of an apt_preferences(5) file (``#`` comments, blank-line separated)."""
    stanza: dict[str, str] = {}
    last = ""
    for raw in [*text.splitlines(), ""]:
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line.strip():
            if stanza:
                yield stanza
            stanza, last = {}, ""
        elif line[0] in " \t" and last:
            stanza[last] += " " + line.strip()
        else:
            name, colon, value = line.partition(":")
            if colon:
                last = name.strip().lower()
                stanza[last] = value.strip()


def apt_reads(file_name: str, extension: str) -> bool:
    """Whether apt reads a ``*.d`` file: no extension or ``.<extension>``, sane characters."""
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", file_name):
        return False
    return "." not in file_name or file_name.endswith(f".{extension}")


def _literal(value: str) -> bool:
    return not (value.startswith("/") or any(c in value for c in "*?["))


def _release_pin_matches(data: str, archives: Iterable[Archive]) -> bool:
    """Whether ``Pin: release …`` could match an archive (unknown keys: assume it does)."""
    terms: dict[str, str] = {}
    for part in data.split(","):
        key, eq, value = part.strip().partition("=")
        if eq:
            terms[key.strip()] = value.strip().strip('"')
        elif part.strip():
            terms["a"] = part.strip().strip('"')  # "release stable": the archive (suite)
    checked = {"o": "origin", "l": "label", "a": "suite", "n": "codename", "v": "version"}
    for archive in archives:
        if all(
            getattr(archive, checked[k]) == v or (k == "a" and archive.codename == v)
            for k, v in terms.items()
            if k in checked and _literal(v)
        ):
            return True
    return False


def active_pins(lists: AptLists) -> list[str]:
    """Preferences that could change a candidate here, as ``path: pin`` (empty: none apply).

    A stanza is inert when apt would ignore it (no Pin, zero priority), when it names only
    packages that are not installed, or when its ``origin`` / ``release`` matches no archive
    the host has lists for (a pin left for a source that is gone). Anything else counts —
    being wrong here only costs the slower apt path."""
    installed = {name for name, _arch in lists.installed}
    sites = {list_site(name) for name in lists.list_files}
    archives = list(lists.archives.values())
    active = []
    for path, text in sorted(lists.preferences.items()):
        name = _basename(path)
        if "preferences.d/" in path and not apt_reads(name, "pref"):
            continue
        for stanza in _preference_stanzas(text):
            pin, packages = stanza.get("pin", ""), stanza.get("package", "").split()
            priority = stanza.get("pin-priority", "0").strip()
            if not pin or not packages or priority in ("", "0"):
                continue
            if all(_literal(p) for p in packages) and not installed & set(packages):
                continue
            kind, _, data = pin.partition(" ")
            kind, data = kind.lower(), data.strip()
            if kind == "origin" and data.strip('"').lower() not in sites:
                continue
            if kind == "release" and not _release_pin_matches(data, archives):
                continue
            active.append(f"{path}: {pin}")
    return active


def choose(installed: str, offers: Iterable[Offer]) -> tuple[str, int]:
    """apt's candidate version without pins (see the module docstring), and how many offered
    versions were left out because dpkg would reject them; ValueError for a bad installed one.

    apt walks the versions from the newest and keeps the first with the highest priority,
    stopping at the installed one: so the candidate is the highest-priority version not older
    than the installed one, the newest on ties, and the installed version (priority 100, or its
    archive's) wins only with a strictly higher priority."""
    current = debversion.parse(installed)
    priority: dict[str, int] = {}
    for offer in offers:
        priority[offer.version] = max(priority.get(offer.version, 0), offer.archive.priority)
    installed_priority, bad = 100, 0
    best: tuple[str, debversion.DebVersion, int] | None = None
    for text, value in priority.items():
        try:
            version = debversion.parse(text)
        except ValueError:
            bad += 1
            continue
        order = debversion.compare(version, current)
        if order == 0:
            installed_priority = max(installed_priority, value)
        elif order > 0 and (
            best is None
            or value > best[2]
            or (value == best[2] and debversion.compare(version, best[1]) > 0)
        ):
            best = text, version, value
    if best is None or installed_priority > best[2]:
        return installed, bad
    return best[0], bad


def candidate(installed: str, offers: Iterable[Offer]) -> str:
    """apt's candidate version without pins."""
    return choose(installed, offers)[0]


class Upgrade(msgspec.Struct, frozen=True):
    """An installed package whose candidate is newer."""

    name: str
    arch: str
    installed: str
    candidate: str
    security: bool


def upgrades(lists: AptLists) -> tuple[list[Upgrade], int]:
    """Installed packages with a newer candidate (what ``apt list --upgradable`` lists), and
    how many versions were skipped because dpkg would reject them."""
    found: list[Upgrade] = []
    bad = 0
    for (name, arch), offers in lists.offers.items():
        installed = lists.installed[name, arch]
        if all(o.version == installed for o in offers):
            continue  # the usual case: the lists hold just the installed version
        try:
            best, skipped = choose(installed, offers)
        except ValueError:
            bad += 1
            continue
        bad += skipped
        if best != installed:
            security = any(o.version == best and o.archive.security for o in offers)
            found.append(Upgrade(name, arch, installed, best, security))
    return found, bad


def pending(lists: AptLists) -> tuple[int, int, int]:
    """Pending updates, how many of them are security updates, and the skipped versions."""
    found, bad = upgrades(lists)
    return len(found), sum(u.security for u in found), bad
