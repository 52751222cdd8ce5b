"""mlistctl against a temporary store: every verb, its refusals and exit codes."""
import hashlib
import json
import os
import pwd
import re
import sqlite3
import stat
import subprocess

from harness import MLISTCTL, SOURCE_ROOT, Setup, Skip, unprivileged_user


def seeded():
    """A setup with two change lines, two projects and a general group."""
    s = Setup()
    s.ctl("group", "add", "veilig-dichtbij", "--kind", "change-line", "--title", "Veilig dichtbij")
    s.ctl("group", "add", "levensloop-centraal", "--kind=change-line", "--title", "Levensloop centraal")
    s.ctl("group", "add", "ruwaard-oss", "--kind", "project", "--title", "Proeftuin Ruwaard Oss")
    s.ctl("group", "add", "pga-jeugd", "--kind", "project", "--title", "PGA Jeugd Amersfoort", "--policy", "open")
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--title", "Koers en Kansen")
    return s


def run_ctl(*args):
    return subprocess.run([MLISTCTL, *args], capture_output=True, text=True, timeout=60)


def test_usage_errors_exit_2_with_usage():
    s = Setup()
    for args in ([], ["group"], ["nonsense"], ["group", "fly"], ["group", "add"],
                 ["group", "show", "a", "b"], ["group", "list", "--colour"],
                 ["member", "add", "g", "a@example.org", "--name"],
                 ["group", "remove", "g", "--force=yes"],
                 ["group", "add", "g", "--kind", "project", "--kind", "general"],
                 ["--bogus", "group", "list"], ["init", "extra"], ["init", "--kind", "project"],
                 ["nonsense", "list"]):
        proc = run_ctl("-c", s.config, *args)
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert proc.stderr.startswith("mlistctl: "), proc.stderr
        assert "usage: mlistctl" in proc.stderr, proc.stderr
        assert proc.stdout == "", proc.stdout


def test_help_exits_0():
    proc = run_ctl("--help")
    assert proc.returncode == 0
    for words in ("group add", "group tree", "member import", "member forget", "moderator list"):
        assert words in proc.stdout, proc.stdout
    assert "       mlistctl init\n" in proc.stdout, proc.stdout


def test_one_word_command_usage():
    s = Setup()
    proc = run_ctl("-c", s.config, "init", "extra")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[:3] == ["mlistctl: too many arguments for 'init'",
                                            "usage: mlistctl [-c FILE] COMMAND [ARGS] [--json]",
                                            "       mlistctl init"], proc.stderr
    proc = run_ctl("-c", s.config, "init", "--force")
    assert proc.returncode == 2 and proc.stderr.startswith("mlistctl: unknown option '--force' for 'init'\n")
    proc = run_ctl("-c", s.config, "group")
    assert proc.returncode == 2 and proc.stderr.startswith("mlistctl: which command?\n"), proc.stderr
    assert "mlistctl group add" in proc.stderr and "mlistctl init" not in proc.stderr, proc.stderr


def test_missing_store_is_refused_and_not_created():
    s = Setup(init=False)
    for args in (["group", "add", "x", "--kind", "project"], ["group", "list"], ["member", "export", "a@example.org"]):
        proc = run_ctl("-c", s.config, *args)
        assert proc.returncode == 1, (args, proc)
        assert proc.stderr == f"mlistctl: no store at {s.store}\n", proc.stderr
        assert proc.stdout == "", proc.stdout
        assert not os.path.exists(s.path("spool")), "no folder is made either"
    # the folder there but no file: still refused, still nothing made
    os.mkdir(s.path("spool"), 0o700)
    for args in (["group", "add", "x", "--kind", "project"], ["group", "tree"]):
        proc = run_ctl("-c", s.config, *args)
        assert proc.returncode == 1 and proc.stderr == f"mlistctl: no store at {s.store}\n", proc
        assert os.listdir(s.path("spool")) == []


def schema_version(path):
    """The store's schema version, read as another program would (read-only, leaving the files be)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT max(version) FROM schema_version").fetchone()[0]


def test_init_creates_the_store_once():
    s = Setup(init=False)
    out, _ = s.ctl("init")
    match = re.fullmatch(r"created the store at (\S+) \(schema version (\d+)\)\n", out)
    assert match and match.group(1) == s.store, out
    version = int(match.group(2))
    assert version == schema_version(s.store) and version >= 1
    assert stat.S_IMODE(os.stat(s.store).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(s.path("spool")).st_mode) == 0o700
    out, _ = s.ctl("init")
    assert out == f"the store at {s.store} is at schema version {version} already\n", out
    s.ctl("group", "add", "ruwaard-oss", "--kind", "project")
    s.ctl("init")
    assert [g["name"] for g in s.ctl_json("group", "list")] == ["ruwaard-oss"]


def test_store_at_another_schema_version_is_refused():
    s = seeded()
    latest = schema_version(s.store)
    older = f"this mlistctl needs {latest}: start mlistd or run mlistctl init to migrate it"
    newer = f"newer than this mlist knows ({latest}); use a newer mlist"
    for found, reason in ((latest - 1, older), (99, newer)):
        with sqlite3.connect(s.store) as db:
            db.execute("UPDATE schema_version SET version = ?", (found,))
        db.close()
        for args in (["group", "list"], ["group", "add", "x", "--kind", "project"]):
            _, err = s.ctl(*args, expect=1)
            assert err == f"mlistctl: the store at {s.store} is at schema version {found}, {reason}\n", err
        assert schema_version(s.store) == found, "neither command migrated it"


def test_missing_config_is_refused():
    proc = run_ctl("-c", "/nonexistent/mlistd.conf", "group", "list")
    assert proc.returncode == 1
    assert "/nonexistent/mlistd.conf: cannot read the config file" in proc.stderr, proc.stderr


def test_broken_config_names_file_and_line():
    s = Setup()
    s.write_config('domain = "lists.example.org";\nspool = "spool";\nstore = "spool/db";\nlimits = { max_size = 1; };\n')
    proc = run_ctl("-c", s.config, "group", "list")
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"mlistctl: {s.config}:4: unknown setting 'max_size' in 'limits'", proc.stderr


def test_config_from_environment():
    s = seeded()
    proc = subprocess.run([MLISTCTL, "group", "list"], capture_output=True, text=True,
                          env={**os.environ, "MLIST_CONF": s.config})
    assert proc.returncode == 0 and "ruwaard-oss" in proc.stdout, proc


def test_group_add_list_show():
    s = seeded()
    out, _ = s.ctl("group", "list")
    assert out.splitlines()[0].split() == ["NAME", "KIND", "POLICY", "MEMBERS", "TITLE"]
    assert len(out.splitlines()) == 6
    groups = s.ctl_json("group", "list")
    assert [g["name"] for g in groups] == ["koersenkansen", "levensloop-centraal", "pga-jeugd",
                                           "ruwaard-oss", "veilig-dichtbij"]
    pga = next(g for g in groups if g["name"] == "pga-jeugd")
    assert pga["kind"] == "project" and pga["policy"] == "open" and pga["title"] == "PGA Jeugd Amersfoort"
    assert pga["members"] == 0 and pga["created"].endswith("Z")
    assert [g["name"] for g in s.ctl_json("group", "list", "--kind", "change-line")] == [
        "levensloop-centraal", "veilig-dichtbij"]
    shown = s.ctl_json("group", "show", "ruwaard-oss")
    assert shown["name"] == "ruwaard-oss" and shown["change_lines"] == []
    out, _ = s.ctl("group", "show", "koersenkansen")
    assert "kind:       general" in out and "title:      Koers en Kansen" in out
    assert s.ctl_json("group", "list", "--kind", "general")[0]["name"] == "koersenkansen"


def test_group_add_refusals():
    s = seeded()
    _, err = s.ctl("group", "add", "Ruwaard-Oss", "--kind", "project", expect=1)
    assert err == "mlistctl: a group named 'ruwaard-oss' exists already\n", err
    _, err = s.ctl("group", "add", "x", "--kind", "team", expect=1)
    assert "unknown kind 'team' (use change-line, project or general)" in err, err
    _, err = s.ctl("group", "add", "x", "--kind", "project", "--policy", "closed", expect=1)
    assert "unknown policy 'closed'" in err, err
    _, err = s.ctl("group", "add", "x", expect=1)
    assert "needs --kind" in err, err
    _, err = s.ctl("group", "add", "oss-request", "--kind", "project", expect=1)
    assert "may not end in '-request'" in err, err
    _, err = s.ctl("group", "add", "oss_1", "--kind", "project", expect=1)
    assert "not a valid group name" in err, err
    assert len(s.ctl_json("group", "list")) == 5


def test_group_show_unknown():
    s = seeded()
    _, err = s.ctl("group", "show", "nowhere", expect=1)
    assert err == "mlistctl: no group named 'nowhere'\n", err


def test_group_set():
    s = seeded()
    s.ctl("group", "set", "ruwaard-oss", "--policy", "moderated", "--title", "Ruwaard")
    shown = s.ctl_json("group", "show", "ruwaard-oss")
    assert shown["policy"] == "moderated" and shown["title"] == "Ruwaard"
    s.ctl("group", "set", "ruwaard-oss", "--policy", "closed", expect=1)
    s.ctl("group", "set", "ruwaard-oss", expect=1)


def test_group_link_unlink_and_tree():
    s = seeded()
    s.ctl("group", "link", "ruwaard-oss", "veilig-dichtbij")
    s.ctl("group", "link", "pga-jeugd", "levensloop-centraal")
    s.ctl("group", "link", "pga-jeugd", "veilig-dichtbij")
    _, err = s.ctl("group", "link", "pga-jeugd", "veilig-dichtbij", expect=1)
    assert "already" in err, err
    _, err = s.ctl("group", "link", "pga-jeugd", "koersenkansen", expect=1)
    assert "'koersenkansen' is not a change line" in err, err
    _, err = s.ctl("group", "link", "veilig-dichtbij", "levensloop-centraal", expect=1)
    assert "'veilig-dichtbij' is not a project" in err, err
    _, err = s.ctl("group", "link", "pga-jeugd", "nowhere", expect=1)
    assert "no group named 'nowhere'" in err, err

    tree = s.ctl_json("group", "tree")
    lines = {line["name"]: [p["name"] for p in line["projects"]] for line in tree["change_lines"]}
    assert lines == {"levensloop-centraal": ["pga-jeugd"], "veilig-dichtbij": ["pga-jeugd", "ruwaard-oss"]}
    assert tree["unlinked_projects"] == [] and [g["name"] for g in tree["general"]] == ["koersenkansen"]
    out, _ = s.ctl("group", "tree")
    assert out.splitlines()[:4] == [
        "Levensloop centraal (levensloop-centraal)",
        "    pga-jeugd                    PGA Jeugd Amersfoort",
        "Veilig dichtbij (veilig-dichtbij)",
        "    pga-jeugd                    PGA Jeugd Amersfoort",
    ], out
    assert s.ctl_json("group", "show", "veilig-dichtbij")["projects"] == ["pga-jeugd", "ruwaard-oss"]
    assert s.ctl_json("group", "show", "pga-jeugd")["change_lines"] == ["levensloop-centraal", "veilig-dichtbij"]

    s.ctl("group", "unlink", "ruwaard-oss", "veilig-dichtbij")
    s.ctl("group", "unlink", "ruwaard-oss", "veilig-dichtbij", expect=1)
    tree = s.ctl_json("group", "tree")
    assert [p["name"] for p in tree["unlinked_projects"]] == ["ruwaard-oss"]
    out, _ = s.ctl("group", "tree")
    assert "Projects not linked to a change line\n    ruwaard-oss" in out, out


def test_group_remove_needs_force_when_it_has_members():
    s = seeded()
    s.ctl("group", "link", "ruwaard-oss", "veilig-dichtbij")
    s.ctl("member", "add", "ruwaard-oss", "jan@example.org")
    _, err = s.ctl("group", "remove", "ruwaard-oss", expect=1)
    assert "has 1 member(s) and 0 moderator(s); remove them first or use --force" in err, err
    s.ctl("group", "remove", "ruwaard-oss", "--force")
    assert "ruwaard-oss" not in [g["name"] for g in s.ctl_json("group", "list")]
    assert s.ctl_json("group", "show", "veilig-dichtbij")["projects"] == []
    s.ctl("group", "remove", "koersenkansen")
    s.ctl("group", "remove", "koersenkansen", expect=1)
    # the member's only subscription went with the group, and so did the person
    s.ctl("member", "export", "jan@example.org", expect=1)


def test_member_add_list_remove():
    s = seeded()
    s.ctl("member", "add", "ruwaard-oss", "jan@Example.ORG", "--name", "Jan de Vries")
    s.ctl("member", "add", "ruwaard-oss", "els@example.org", "--mode", "digest")
    s.ctl("member", "add", "veilig-dichtbij", "els@example.org", "--follow-line", "--mode", "nomail")
    members = s.ctl_json("member", "list", "ruwaard-oss")
    assert [(m["address"], m["name"], m["mode"], m["follow_line"]) for m in members] == [
        ("els@example.org", "", "digest", False), ("jan@example.org", "Jan de Vries", "each", False)]
    line = s.ctl_json("member", "list", "veilig-dichtbij")
    assert line[0]["follow_line"] is True and line[0]["mode"] == "nomail"
    out, _ = s.ctl("member", "list", "veilig-dichtbij")
    assert "els@example.org" in out and "[follows line]" in out
    assert s.ctl_json("group", "show", "ruwaard-oss")["members"] == 2
    s.ctl("member", "remove", "ruwaard-oss", "JAN@example.org")
    _, err = s.ctl("member", "remove", "ruwaard-oss", "jan@example.org", expect=1)
    assert "no member with address" in err, err
    s.ctl("member", "remove", "ruwaard-oss", "els@example.org")
    _, err = s.ctl("member", "remove", "ruwaard-oss", "els@example.org", expect=1)
    assert "els@example.org is not a member of ruwaard-oss" in err, err
    assert s.ctl_json("member", "list", "ruwaard-oss") == []


def test_member_set_find_and_rename():
    s = seeded()
    s.ctl("member", "add", "ruwaard-oss", "els@example.org", "--name", "Els Bakker")
    s.ctl("member", "add", "veilig-dichtbij", "els@example.org")
    s.ctl("moderator", "add", "ruwaard-oss", "els@example.org")
    s.ctl("member", "set", "veilig-dichtbij", "els@example.org", "--mode", "digest", "--follow-line")
    s.ctl("member", "set", "ruwaard-oss", "els@example.org", "--no-self-copy")
    [line] = s.ctl_json("member", "list", "veilig-dichtbij")
    assert line["mode"] == "digest" and line["follow_line"] is True, line
    s.ctl("member", "set", "veilig-dichtbij", "els@example.org", "--no-follow-line")
    assert s.ctl_json("member", "list", "veilig-dichtbij")[0]["follow_line"] is False
    assert s.ctl_json("member", "list", "veilig-dichtbij")[0]["mode"] == "digest"  # kept
    out, _ = s.ctl("member", "find", "Els@Example.org")
    assert out.splitlines() == [
        "els@example.org (Els Bakker)", "  copies of own posts: no",
        "  member of    ruwaard-oss                  each",
        "  member of    veilig-dichtbij              digest",
        "  moderates    ruwaard-oss"], out
    # refusals, each with its reason
    for args, why in ((["ruwaard-oss", "els@example.org", "--follow-line"], "is for change-line groups"),
                      (["ruwaard-oss", "els@example.org", "--mode", "weekly"], "unknown mode 'weekly'"),
                      (["pga-jeugd", "els@example.org", "--mode", "nomail"], "is not a member of pga-jeugd"),
                      (["ruwaard-oss", "nobody@example.org", "--mode", "nomail"], "no member with address"),
                      (["ruwaard-oss", "els@example.org"], "member set needs")):
        _, err = s.ctl("member", "set", *args, expect=1)
        assert why in err, (args, err)
    # a new address: one step, everything kept
    s.ctl("member", "add", "pga-jeugd", "piet@example.org")
    _, err = s.ctl("member", "rename", "els@example.org", "piet@example.org", expect=1)
    assert "piet@example.org is a member already" in err, err
    _, err = s.ctl("member", "rename", "els@example.org", "els@", expect=1)
    assert "els@" in err, err
    out, _ = s.ctl("member", "rename", "els@example.org", "els@nieuw.example.nl")
    assert "els@example.org is now els@nieuw.example.nl" in out, out
    moved = s.ctl_json("member", "find", "els@nieuw.example.nl", )
    assert moved["name"] == "Els Bakker" and moved["self_copy"] is False, moved
    assert [x["group"] for x in moved["subscriptions"]] == ["ruwaard-oss", "veilig-dichtbij"], moved
    assert [x["group"] for x in moved["moderates"]] == ["ruwaard-oss"], moved
    _, err = s.ctl("member", "find", "els@example.org", expect=1)
    assert "no member with address" in err, err


def test_member_add_refusals():
    s = seeded()
    s.ctl("member", "add", "ruwaard-oss", "jan@example.org")
    _, err = s.ctl("member", "add", "ruwaard-oss", "JAN@example.org", expect=1)
    assert err == "mlistctl: JAN@example.org is already a member of ruwaard-oss\n", err
    _, err = s.ctl("member", "add", "ruwaard-oss", "jan at example.org", expect=1)
    assert "'jan at example.org' is not a valid address" in err, err
    _, err = s.ctl("member", "add", "ruwaard-oss", "Jan <jan@example.org>", expect=1)
    assert "is not a valid address" in err, err
    _, err = s.ctl("member", "add", "ruwaard-oss", "piet@example.org", "--follow-line", expect=1)
    assert "--follow-line is for change-line groups" in err, err
    _, err = s.ctl("member", "add", "nowhere", "piet@example.org", expect=1)
    assert "no group named 'nowhere'" in err, err
    _, err = s.ctl("member", "add", "ruwaard-oss", "piet@example.org", "--mode", "weekly", expect=1)
    assert "unknown mode 'weekly' (use each, digest or nomail)" in err, err
    _, err = s.ctl("member", "add", "ruwaard-oss", "piet@example.org", "--name", "Piet\tX", expect=1)
    assert "control character" in err, err
    assert [m["address"] for m in s.ctl_json("member", "list", "ruwaard-oss")] == ["jan@example.org"]
    # refused additions leave no trace of the person
    s.ctl("member", "export", "piet@example.org", expect=1)


def test_member_import():
    s = seeded()
    path = s.write("members.csv", (
        "\ufeffaddress,name\r\n"
        "ann@example.org,Ann de Boer\r\n"
        "bad-address,Nobody\r\n"
        "\"bob@example.org\",\"Bakker, Bob\"\r\n"
        "cees@example.org,Cees Éénhoorn\r\n"
        "dirk@example,Dirk\r\n").encode("utf-8"))
    out, err = s.ctl("member", "import", "ruwaard-oss", path, expect=1)
    assert "imported 3 new member(s) into ruwaard-oss, 0 already there, 2 bad row(s) skipped" in out, out
    assert f"{path}:3: no '@' in the address" in err, err
    assert f"{path}:6: the domain needs at least one dot" in err, err
    assert err.rstrip().endswith("2 bad row(s) in " + path + " were not imported"), err
    members = {m["address"]: m["name"] for m in s.ctl_json("member", "list", "ruwaard-oss")}
    assert members == {"ann@example.org": "Ann de Boer", "bob@example.org": "Bakker, Bob",
                       "cees@example.org": "Cees Éénhoorn"}, members

    good = s.write("good.csv", "ann@example.org,Ann de Boer\nbob@example.org,Bakker, Bob\n")
    _, err = s.ctl("member", "import", "ruwaard-oss", good, expect=1)
    assert "more than two columns" in err
    good = s.write("good.csv", "ann@example.org,Ann de Boer\n\"bob@example.org\",\"Bakker, Bob\"\n")
    out, _ = s.ctl("member", "import", "ruwaard-oss", good)
    assert "imported 0 new member(s) into ruwaard-oss, 2 already there, 0 bad row(s) skipped" in out, out
    assert {m["address"]: m["name"] for m in s.ctl_json("member", "list", "ruwaard-oss")} == members


def test_member_import_refusals():
    s = seeded()
    _, err = s.ctl("member", "import", "ruwaard-oss", s.path("missing.csv"), expect=1)
    assert "missing.csv: No such file or directory" in err, err
    path = s.write("m.csv", "ann@example.org,Ann\n")
    _, err = s.ctl("member", "import", "nowhere", path, expect=1)
    assert "no group named 'nowhere'" in err, err
    _, err = s.ctl("member", "import", "ruwaard-oss", path, "--mode", "weekly", expect=1)
    assert "unknown mode 'weekly'" in err, err
    assert s.ctl_json("member", "list", "ruwaard-oss") == []


def test_member_export_and_forget():
    s = seeded()
    s.ctl("member", "add", "ruwaard-oss", "jan@example.org", "--name", "Jan \"JJ\" Jansen")
    s.ctl("member", "add", "veilig-dichtbij", "jan@example.org", "--follow-line")
    s.ctl("moderator", "add", "pga-jeugd", "jan@example.org")
    s.ctl("member", "add", "ruwaard-oss", "els@example.org")
    out, _ = s.ctl("member", "export", "JAN@example.org")
    data = json.loads(out)
    assert data["address"] == "jan@example.org" and data["name"] == 'Jan "JJ" Jansen'
    assert [(x["group"], x["mode"], x["follow_line"]) for x in data["subscriptions"]] == [
        ("ruwaard-oss", "each", False), ("veilig-dichtbij", "each", True)]
    assert [x["group"] for x in data["moderates"]] == ["pga-jeugd"]
    assert data["disabled"] is False

    out, _ = s.ctl("member", "forget", "jan@example.org")
    assert "forgot jan@example.org" in out
    _, err = s.ctl("member", "export", "jan@example.org", expect=1)
    assert "no member with address 'jan@example.org'" in err, err
    out, _ = s.ctl("member", "forget", "jan@example.org")  # unknown now: only the files are swept
    assert "not in the store" in out, out
    assert [m["address"] for m in s.ctl_json("member", "list", "ruwaard-oss")] == ["els@example.org"]
    assert s.ctl_json("moderator", "list", "pga-jeugd") == []
    # nothing of the person is left in the store file
    s.ctl("group", "list")  # a write-free command that closes the store cleanly
    proc = subprocess.run(["sqlite3", s.store, "SELECT count(*) FROM members WHERE address LIKE 'jan@%'"],
                          capture_output=True, text=True)
    if proc.returncode == 0:
        assert proc.stdout.strip() == "0", proc.stdout


def test_moderator_add_list_remove():
    s = seeded()
    s.ctl("moderator", "add", "ruwaard-oss", "mod@example.org")
    _, err = s.ctl("moderator", "add", "ruwaard-oss", "mod@example.org", expect=1)
    assert "already a moderator" in err, err
    _, err = s.ctl("moderator", "add", "ruwaard-oss", "not-an-address", expect=1)
    assert "not a valid address" in err, err
    _, err = s.ctl("moderator", "add", "nowhere", "mod@example.org", expect=1)
    assert "no group named" in err, err
    assert s.ctl_json("moderator", "list", "ruwaard-oss") == [{"address": "mod@example.org", "name": ""}]
    out, _ = s.ctl("moderator", "list", "ruwaard-oss")
    assert out.startswith("mod@example.org"), out
    assert s.ctl_json("member", "list", "ruwaard-oss") == []  # moderating is not being subscribed
    s.ctl("moderator", "remove", "ruwaard-oss", "mod@example.org")
    _, err = s.ctl("moderator", "remove", "ruwaard-oss", "mod@example.org", expect=1)
    assert "no member with address" in err, err
    assert s.ctl_json("moderator", "list", "ruwaard-oss") == []


def test_store_file_is_private():
    s = seeded()
    mode = stat.S_IMODE(os.stat(s.store).st_mode)
    assert mode == 0o600, oct(mode)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(s.store + suffix):
            assert stat.S_IMODE(os.stat(s.store + suffix).st_mode) == 0o600


def test_json_escapes_names():
    s = seeded()
    s.ctl("group", "set", "ruwaard-oss", "--title", 'Proeftuin "Ruwaard" \\ Oss')
    assert s.ctl_json("group", "show", "ruwaard-oss")["title"] == 'Proeftuin "Ruwaard" \\ Oss'


def test_demo_seed_builds_the_tree():
    s = Setup()
    proc = subprocess.run(["sh", os.path.join(SOURCE_ROOT, "conf", "demo-seed.sh"), s.config],
                          capture_output=True, text=True, env={**os.environ, "MLISTCTL": MLISTCTL})
    assert proc.returncode == 0, proc.stderr
    tree = s.ctl_json("group", "tree")
    titles = sorted(line["title"] for line in tree["change_lines"])
    assert titles == ["Levensloop centraal", "Vakmanschap voorop", "Veilig dichtbij"], titles
    assert all(line["projects"] for line in tree["change_lines"]), tree
    assert tree["general"], tree
    projects = [p["name"] for line in tree["change_lines"] for p in line["projects"]]
    assert "pga-jeugd-amersfoort" in projects and "proeftuin-ruwaard-oss" in projects
    # running it again changes nothing and does not fail
    proc = subprocess.run(["sh", os.path.join(SOURCE_ROOT, "conf", "demo-seed.sh"), s.config],
                          capture_output=True, text=True, env={**os.environ, "MLISTCTL": MLISTCTL})
    assert proc.returncode == 0, proc.stderr
    assert s.ctl_json("group", "tree") == tree


def file_digests(folder):
    """Each file in folder with a digest of its bytes: what 'unchanged' is checked against."""
    return {name: hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(folder))}


def grant_read(s, account):
    """Lets account read the store, as an administrator would with a group: the store's folder
    and files go to account's group with group read (and search) only, so that account may
    neither write the store nor make files beside it.  Their owner stays as it is."""
    os.chmod(s.config, 0o644)
    for path in (s.path("spool"), s.store, s.store + "-wal", s.store + "-shm"):
        os.chown(path, -1, account.pw_gid)
        os.chmod(path, 0o750 if path == s.path("spool") else 0o640)


def ctl_as(account, s, *args):
    """Runs mlistctl as account (only its own group: none of root's)."""
    return subprocess.run([MLISTCTL, "-c", s.config, *args], capture_output=True, text=True, timeout=60,
                          user=account.pw_uid, group=account.pw_gid, extra_groups=[])


def test_read_only_store_for_this_user():
    if os.geteuid() != 0:
        raise Skip("needs root, to run mlistctl as an account that may read the store but not write it")
    s = seeded()
    s.ctl("member", "add", "ruwaard-oss", "jan@example.org", "--name", "Jan")
    reader = pwd.getpwnam(unprivileged_user())
    wanted = {args: s.ctl(*args)[0] for args in (("group", "list"), ("group", "show", "ruwaard-oss"),
                                                  ("member", "list", "ruwaard-oss"),
                                                  ("member", "export", "jan@example.org"), ("group", "tree"))}
    grant_read(s, reader)
    before = file_digests(s.path("spool"))
    assert set(before) == {"mlist.db", "mlist.db-wal", "mlist.db-shm"}, before
    for args, out in wanted.items():
        proc = ctl_as(reader, s, *args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, out, ""), (args, proc)
    for args in (["group", "add", "x", "--kind", "project"], ["member", "remove", "ruwaard-oss", "jan@example.org"]):
        proc = ctl_as(reader, s, *args)
        assert proc.returncode == 1, (args, proc)
        assert proc.stderr == f"mlistctl: the store at {s.store} is read-only for this user\n", proc.stderr
    assert file_digests(s.path("spool")) == before, "the store is unchanged"

    # A program that does not keep the -wal and -shm files (the sqlite3 shell, say) closed the
    # store last: this user can no longer open it, and is told why.
    with sqlite3.connect(s.store) as db:
        db.execute("SELECT count(*) FROM groups").fetchone()
    db.close()
    assert not os.path.exists(s.store + "-wal") and not os.path.exists(s.store + "-shm")
    proc = ctl_as(reader, s, "group", "list")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"mlistctl: cannot read the store at {s.store}: its -wal and -shm files are "
                                  "missing and this user may not create them"), proc.stderr
    # any mlist program that writes puts them back, with the store's owner and mode
    s.ctl("member", "add", "pga-jeugd", "els@example.org")
    for suffix in ("-wal", "-shm"):
        info = os.stat(s.store + suffix)
        assert (info.st_gid, stat.S_IMODE(info.st_mode)) == (reader.pw_gid, 0o640), suffix
    proc = ctl_as(reader, s, "member", "list", "pga-jeugd")
    assert (proc.returncode, proc.stdout) == (0, s.ctl("member", "list", "pga-jeugd")[0]), proc


def test_read_only_while_mlistd_writes():
    if os.geteuid() != 0:
        raise Skip("needs root, to run mlistd and mlistctl as two accounts")
    daemon_account = unprivileged_user()
    readers = [name for name in ("nobody", "mlist") if name != daemon_account]
    try:
        reader = pwd.getpwnam(readers[0])
    except KeyError:
        raise Skip(f"no second unprivileged account besides {daemon_account} to read the store as")
    s = seeded()
    d = s.start()
    # mlistd holds the store open (its -wal and -shm in use); an administrator lets an auditor read it
    grant_read(s, reader)
    # committed to the -wal beside mlistd's open connection: the reader finds it through the -shm
    s.ctl("group", "add", "leerwerkplaats", "--kind", "project")
    assert os.path.getsize(s.store + "-wal") > 0
    proc = ctl_as(reader, s, "group", "list", "--json")
    assert proc.returncode == 0, proc
    assert "leerwerkplaats" in [g["name"] for g in json.loads(proc.stdout)], proc.stdout
    proc = ctl_as(reader, s, "group", "add", "x", "--kind", "project")
    assert proc.returncode == 1
    assert proc.stderr == f"mlistctl: the store at {s.store} is read-only for this user\n", proc.stderr
    assert d.proc.poll() is None
    assert d.stop() == 0
    assert "x" not in [g["name"] for g in s.ctl_json("group", "list")]
