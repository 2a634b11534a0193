"""Pending apt updates from the lists: the output parser, candidates, pins (small texts)."""

from __future__ import annotations

from agent.linux import aptlists

LISTS = "/var/lib/apt/lists"


def release(name: str, *fields: str) -> str:
    """Release header lines as ``grep -H`` prints them."""
    return "".join(f"{LISTS}/deb.debian.org_{name}_InRelease:{f}\n" for f in fields)


DEBIAN = release("debian_dists_bookworm", "Label: Debian")
UPDATES = release(
    "debian_dists_bookworm-updates",
    "Label: Debian",
    "Suite: stable-updates",
    "Codename: bookworm-updates",
)
SECURITY = release(
    "debian-security_dists_bookworm-security",
    "Origin: Debian",
    "Label: Debian-Security",
    "Suite: stable-security",
)
BACKPORTS = release(
    "debian_dists_bookworm-backports",
    "Suite: stable-backports",
    "NotAutomatic: yes",
    "ButAutomaticUpgrades: yes",
)
EXPERIMENTAL = release("debian_dists_experimental", "Suite: experimental", "NotAutomatic: yes")


def listing(name: str, *entries: str) -> str:
    return f"@list {LISTS}/deb.debian.org_{name}_Packages.lz4\n" + "".join(
        f"{e}\n" for e in entries
    )


def output(*parts: str, installed: tuple[str, ...] = ()) -> str:
    """Script output: arch, markers, release headers, then dpkg status, lists, end."""
    markers = "".join(p for p in parts if p.startswith("@") and not p.startswith("@list"))
    releases = "".join(p for p in parts if not p.startswith("@"))
    lists = "".join(p for p in parts if p.startswith("@list"))
    status = "".join(f"@installed {i}\n" for i in installed)
    return f"@arch amd64\n{markers}@releases\n{releases}{status}{lists}@end\n"


def counts(text: str) -> tuple[int, int]:
    lists = aptlists.parse_output(text)
    assert lists.problems == [] and aptlists.active_pins(lists) == []
    total, security, bad = aptlists.pending(lists)
    assert bad == 0
    return total, security


def test_security_and_updates() -> None:
    """Newer in security (also in main), newer in updates, older in security: 2 pending, 1 sec."""
    text = output(
        DEBIAN,
        UPDATES,
        SECURITY,
        listing("debian_dists_bookworm_main_binary-amd64", "libssl3 amd64 3.0.17-1~deb12u2"),
        listing(
            "debian-security_dists_bookworm-security_main_binary-amd64",
            "libssl3 amd64 3.0.17-1~deb12u2",
            "openssh-server amd64 1:9.2p1-2+deb12u3",
        ),
        listing("debian_dists_bookworm-updates_main_binary-amd64", "tzdata all 2025b-0+deb12u2"),
        installed=(
            "libssl3 amd64 3.0.15-1~deb12u1",
            "openssh-server amd64 1:9.2p1-2+deb12u6",
            "tzdata all 2025b-0+deb12u1",
        ),
    )
    assert counts(text) == (2, 1)


def test_no_lists_and_empty_lists() -> None:
    """No list files (apt-get update never ran) or lists without installed names: nothing."""
    assert counts(output(installed=("bash amd64 5.2.15-2+b7",))) == (0, 0)
    empty = output(DEBIAN, listing("debian_dists_bookworm_main_binary-amd64"))
    assert counts(empty) == (0, 0)
    assert aptlists.parse_output(empty).list_files == [
        "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"
    ]


def test_multiarch_packages_are_matched_per_architecture() -> None:
    """libc6:i386 is upgraded from the i386 list only; arch ``all`` belongs to the native arch."""
    text = output(
        DEBIAN,
        listing("debian_dists_bookworm_main_binary-amd64", "libc6 amd64 2.36-9+deb12u9"),
        listing(
            "debian_dists_bookworm_main_binary-i386",
            "libc6 i386 2.36-9+deb12u4",
            "fonts-dejavu all 2.37-6",
        ),
        installed=(
            "libc6 amd64 2.36-9+deb12u4",
            "libc6 i386 2.36-9+deb12u4",
            "fonts-dejavu all 2.37-2",
        ),
    )
    assert counts(text) == (2, 0)  # libc6:amd64 and fonts-dejavu


def test_not_automatic_archives() -> None:
    """experimental never upgrades; backports upgrades only what came from backports."""
    text = output(
        DEBIAN,
        BACKPORTS,
        EXPERIMENTAL,
        listing("debian_dists_bookworm_main_binary-amd64", "vim amd64 2:9.0.1378-2"),
        listing(
            "debian_dists_bookworm-backports_main_binary-amd64",
            "vim amd64 2:9.1.0-1~bpo12+1",
            "yt-dlp all 2024.10.07-1~bpo12+1",
        ),
        listing("debian_dists_experimental_main_binary-amd64", "vim amd64 2:9.2-1"),
        installed=("vim amd64 2:9.0.1378-1", "yt-dlp all 2024.04.09-1~bpo12+1"),
    )
    lists = aptlists.parse_output(text)
    vim = lists.offers["vim", "amd64"]
    assert aptlists.candidate("2:9.0.1378-1", vim) == "2:9.0.1378-2"
    assert counts(text) == (2, 0)
    # Installed from experimental: nothing newer there is a candidate either.
    assert aptlists.candidate("2:9.2~rc1-1", vim) == "2:9.2~rc1-1"


def test_list_without_release_file_counts_as_a_normal_archive() -> None:
    """A flat repository without (In)Release: priority 500, not security."""
    text = output(
        listing("repo.example_debian_._", "canh-agent all 0.2.0"),
        installed=("canh-agent all 0.1.0",),
    )
    assert counts(text) == (1, 0)


def test_release_matched_by_the_longest_prefix() -> None:
    """bookworm-updates lists do not belong to bookworm, nor the other way round."""
    archives = aptlists.parse_output(output(DEBIAN, UPDATES)).archives
    updates = aptlists.archive_for(
        "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages", archives
    )
    main = aptlists.archive_for(
        "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", archives
    )
    assert (updates.suite, main.label, main.suite) == ("stable-updates", "Debian", "")
    assert aptlists.list_site("mirror.example%3a8080_debian_dists_x_Packages") == "mirror.example"


def test_ubuntu_security_pocket() -> None:
    """Ubuntu's security archive is only told by its suite (Label: Ubuntu)."""
    archive = aptlists.parse_output(
        output(
            "".join(
                f"/l/security.ubuntu.com_ubuntu_dists_jammy-security_InRelease:{field}\n"
                for field in ("Origin: Ubuntu", "Label: Ubuntu", "Suite: jammy-security")
            )
        )
    ).archives["security.ubuntu.com_ubuntu_dists_jammy-security_InRelease"]
    assert archive.security and archive.priority == 500


def test_first_release_field_wins_over_the_signature_armour() -> None:
    """An old GnuPG armour repeats ``Version:`` after the header."""
    text = output(release("debian_dists_bookworm", "Version: 12.12", "Version: GnuPG v1"))
    assert next(iter(aptlists.parse_output(text).archives.values())).version == "12.12"


def pins(preferences: str, *parts: str, installed: tuple[str, ...] = ()) -> list[str]:
    text = output(
        "@preferences /etc/apt/preferences.d/local\n" + preferences, *parts, installed=installed
    )
    return aptlists.active_pins(aptlists.parse_output(text))


def test_pins_that_can_apply_force_the_apt_path() -> None:
    """A pin on an installed package from an archive with lists, or a release pin that matches."""
    main = listing("debian_dists_bookworm_main_binary-amd64", "vim amd64 2:9.0.1378-2")
    installed = ("vim amd64 2:9.0.1378-1",)
    by_origin = "Package: vim\nPin: origin deb.debian.org\nPin-Priority: 1001\n"
    assert pins(by_origin, DEBIAN, main, installed=installed) == [
        "/etc/apt/preferences.d/local: origin deb.debian.org"
    ]
    by_release = (
        "# keep the whole machine on bookworm\n"
        "Package: *\nPin: release n=bookworm, l=Debian\nPin-Priority: 990\n"
    )
    assert (
        len(pins(by_release, DEBIAN + release("debian_dists_bookworm", "Codename: bookworm"), main))
        == 1
    )
    by_version = "Package: vim\nPin: version 2:9.0.1378-1\nPin-Priority: 1001\n"
    assert len(pins(by_version, DEBIAN, main, installed=installed)) == 1
    glob = "Package: vim*\nPin: version 2:9.0*\nPin-Priority: 1001\n"
    assert len(pins(glob, DEBIAN, main)) == 1


def test_inert_pins_keep_the_fast_path() -> None:
    """Pins for a source without lists, for packages not installed, or that apt ignores."""
    main = listing("debian_dists_bookworm_main_binary-amd64", "nodejs amd64 18.19.0+dfsg-6")
    installed = ("nodejs amd64 20.20.2-1nodesource1",)
    nodesource = "Package: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n"
    assert pins(nodesource, DEBIAN, main, installed=installed) == []
    not_installed = "Package: nsolid\nPin: origin deb.debian.org\nPin-Priority: 600\n"
    assert pins(not_installed, DEBIAN, main, installed=installed) == []
    ppa = "Package: *\nPin: release o=LP-PPA-mozillateam\nPin-Priority: 1001\n"
    assert pins(ppa, DEBIAN + release("debian_dists_bookworm", "Origin: Debian"), main) == []
    no_priority = "Package: *\nPin: release n=bookworm\n"
    assert pins(no_priority, DEBIAN, main) == []


def test_preference_files_apt_does_not_read_are_ignored() -> None:
    """preferences.d names with another extension (``.dpkg-old``) are not read by apt."""
    text = output(
        "@preferences /etc/apt/preferences.d/vim.dpkg-old\n"
        "Package: *\nPin: release n=bookworm\nPin-Priority: 1001\n",
        DEBIAN + release("debian_dists_bookworm", "Codename: bookworm"),
    )
    assert aptlists.active_pins(aptlists.parse_output(text)) == []
    assert aptlists.apt_reads("10local.pref", "pref") and aptlists.apt_reads("nodejs", "pref")


def test_default_release_is_reported() -> None:
    """APT::Default-Release gives a release 990: reported, only from files apt reads."""
    text = output(
        "@default-release\n/etc/apt/apt.conf.d/99release\n/etc/apt/apt.conf.d/99release.bak\n"
    )
    assert aptlists.parse_output(text).default_release == ["/etc/apt/apt.conf.d/99release"]


def test_incomplete_output_and_missing_helper_are_problems() -> None:
    """No ``@end`` (cut short), no apt-helper, an unreadable list: the caller must fall back."""
    cut = aptlists.parse_output("@arch amd64\n@installed vim amd64 2:9.0.1378-1\n")
    assert cut.problems == ["the package list output was cut short"]
    broken = aptlists.parse_output(
        output("@missing /usr/lib/apt/apt-helper\n", "@list /l/x_Packages.zst\n@error /l/x\n")
    )
    assert broken.problems == ["/usr/lib/apt/apt-helper is missing", "could not read /l/x"]
    assert "printed nothing" in aptlists.parse_output("@end\n").problems[0]


def test_versions_dpkg_would_reject_are_counted_apart() -> None:
    """A broken version string in a list is skipped, not a crash."""
    text = output(
        DEBIAN,
        listing("debian_dists_bookworm_main_binary-amd64", "vim amd64 x:1", "vim amd64 2:9.1-1"),
        installed=("vim amd64 2:9.0-1",),
    )
    assert aptlists.pending(aptlists.parse_output(text)) == (1, 0, 1)
