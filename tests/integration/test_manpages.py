"""The manual pages in man/: mandoc finds nothing to warn about, and they
say what the code does.

- mlistd.conf(5) has an `.It Ic NAME` entry for every setting in the field
  tables of mlistd/base/config.c, under the `.Ss` of its group (`.Ss Top
  level`, `.Ss delivery`, `.Ss content.header_rules`, ...), and none for a
  setting the loader does not know; each says "Required." or "Default:",
  with the default of set_defaults(), and names every choice of an enum.
- mlistctl(8) has an `.It Cm NOUN VERB` entry (or `.It Xo` / `.Cm NOUN
  VERB` ...) for every row of the command table in admin-cli/mlistctl.c,
  and none for a command that does not exist; the entry's head names the
  row's arguments (`Ar`) and options (`Fl`), --json where the usage has it.
- mlistd(8) names every program mlistd/meson.build builds and every
  option of mlistd and of its helpers.

The files are read from the source tree (MLIST_SOURCE_ROOT, set by
meson), so a new setting, command or option without its documentation
fails here.
"""
import os
import re
import shutil
import subprocess
import tempfile

from harness import MLISTD, SOURCE_ROOT, Skip

PAGES = ("mlistd.8", "mlistctl.8", "mlistd.conf.5")


def source(rel):
    with open(os.path.join(SOURCE_ROOT, rel), encoding="utf-8") as f:
        return f.read()


def page(name):
    return source(os.path.join("man", name))


# --- reading mdoc ------------------------------------------------------------

def tokens(line):
    """The words of a macro line, a quoted argument being one word."""
    return [t.strip('"') for t in re.findall(r'"[^"]*"|\S+', line)]


def is_macro(word):
    """Whether a word of a macro line is a macro name (Ar, Fl, Op, Ns, ...)."""
    return re.fullmatch(r"[A-Z][a-z][a-z]?|%[A-Z]", word) is not None


def macro_args(lines, macro):
    """The arguments of every `macro` in lines, up to the next macro on the line."""
    out = []
    for line in lines:
        if not line.startswith("."):
            continue
        words = tokens(line[1:])
        for i, w in enumerate(words):
            if w != macro:
                continue
            for arg in words[i + 1:]:
                if is_macro(arg):
                    break
                if arg not in ("|", ",", ";", ".", "(", ")", "[", "]"):
                    out.append(arg)
    return out


def items(text, sh):
    """The entries of the outermost lists in section `.Sh sh`: (subsection, head lines, all lines)."""
    result = []
    in_section, subsection, depth, current = False, None, 0, None
    for line in text.splitlines():
        if line.startswith(".Sh "):
            in_section = line[4:].strip() == sh
            continue
        if not in_section:
            continue
        if line.startswith(".Ss "):
            subsection = line[4:].strip()
            continue
        if line.startswith(".Bl"):
            depth += 1
        elif line.startswith(".El"):
            depth -= 1
            if depth == 0:
                current = None
        if line.startswith(".It") and depth == 1:
            current = {"subsection": subsection, "head": [line], "lines": [line], "open": line.split()[1:2] == ["Xo"]}
            result.append(current)
            continue
        if current is not None:
            current["lines"].append(line)
            if current["open"]:
                current["head"].append(line)
                if line.startswith(".Xc"):
                    current["open"] = False
    return result


def setting_name(item):
    """`.It Ic name No = Ar number` gives name (None for an entry without Ic)."""
    names = macro_args(item["head"], "Ic")
    return names[0] if names else None


def command_words(item):
    """`.It Cm group add Ar name ...` (or the same after `.It Xo`): "group add"."""
    for line in item["head"]:
        words = tokens(line[1:]) if line.startswith(".") else []
        if "Cm" in words:
            got = []
            for w in words[words.index("Cm") + 1:]:
                if is_macro(w):
                    break
                got.append(w)
            return " ".join(got)
    return None


def after_default(text):
    """What an entry says from its "Default" on (where its default value is)."""
    at = text.find("Default")
    return text[at:] if at >= 0 else ""


# --- reading the C tables ----------------------------------------------------

def choice_lists():
    """Every NULL-terminated list of names (protocol_names, attachment_policies, ...)."""
    lists = {}
    for rel in ("mlistd/base/config.c", "mlistd/base/names.c"):
        for name, body in re.findall(r"const char \*const (\w+)\[\] = \{([^}]*)\};", source(rel)):
            lists[name] = re.findall(r'"([^"]*)"', body)
    return lists


def config_fields():
    """Every setting of the loader: {dotted path: (group path, name, kind, required, choices)}."""
    text = source("mlistd/base/config.c")
    choices = choice_lists()
    tables = {}
    for table, body in re.findall(r"static const struct field (\w+)\[\] = \{(.*?)\n\};", text, re.S):
        rows = []
        for name, kind, required, rest in re.findall(r'\{\s*"(\w+)"\s*,\s*(FIELD_\w+)\s*,\s*([01])\s*,(.*?)\}', body,
                                                     re.S):
            words = re.findall(r"\b\w+\b", rest)
            nested = [w for w in words if w.endswith("_fields")]
            enum = [choices[w] for w in words if w in choices]
            rows.append((name, kind, required == "1", nested[0] if nested else None, enum[0] if enum else None))
        tables[table] = rows
    assert "top_fields" in tables, "no top_fields table found in mlistd/base/config.c"

    fields = {}

    def walk(table, group):
        for name, kind, required, nested, enum in tables[table]:
            path = f"{group}.{name}" if group else name
            fields[path] = (group, name, kind, required, enum)
            if nested:
                walk(nested, path)

    walk("top_fields", "")
    return fields


def config_defaults():
    """set_defaults(): {dotted path: value} for the assignments of plain numbers."""
    text = source("mlistd/base/config.c")
    body = re.search(r"static void set_defaults\(struct config \*cfg\)\s*\{(.*?)\n\}", text, re.S).group(1)
    values = {}
    for path, expr in re.findall(r"cfg->([\w.]+) = ([^;]+);", body):
        expr = re.sub(r"(\d+)[LU]+\b", r"\1", expr.strip())
        if re.fullmatch(r"[\d\s*+<()-]+", expr):
            values[path] = eval(expr)  # only digits and arithmetic, checked above
        else:
            values[path] = expr
    return values


def cli_commands():
    """The command table: [(words, options, usage)], words "group add" or "init"."""
    text = source("admin-cli/mlistctl.c")
    body = re.search(r"static const struct command commands\[\] = \{(.*?)\n\};", text, re.S).group(1)
    rows = re.findall(r'\{\s*"([\w-]+)"\s*,\s*(NULL|"[\w-]+")\s*,\s*[\w_]+\s*,\s*\d+\s*,\s*\d+\s*,'
                      r'\s*((?:"[^"]*"\s*)+),\s*((?:"[^"]*"\s*)+),\s*\w+\s*\}', body)
    assert len(rows) == body.count("cmd_"), "a row of commands[] in admin-cli/mlistctl.c was not understood"
    out = []
    for noun, verb, options, usage in rows:
        words = noun if verb == "NULL" else f"{noun} {verb.strip(chr(34))}"
        join = lambda lits: "".join(re.findall(r'"([^"]*)"', lits))  # noqa: E731
        out.append((words, join(options).split(), join(usage)))
    return out


def usage_arguments(usage):
    """The positional arguments of a usage string: "GROUP [FILE.mbox] [--json]" gives group, file.mbox."""
    args = []
    for word in usage.split():
        if word.lstrip("[").startswith("-"):
            break
        args.append(word.strip("[]").lower())
    return args


# --- the cases ---------------------------------------------------------------

def test_lint():
    """mandoc -T lint -W warning: no warning, error or unsupported macro (style hints are allowed: which
    referenced pages are installed depends on the machine)."""
    mandoc = shutil.which("mandoc")
    if not mandoc:
        raise Skip("needs mandoc (scripts/install-deps installs it)")
    problems = []
    for name in PAGES:
        path = os.path.join(SOURCE_ROOT, "man", name)
        r = subprocess.run([mandoc, "-T", "lint", "-W", "warning", path], capture_output=True, text=True)
        if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
            problems.append(f"{name} (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    assert not problems, "mandoc -T lint -W warning:\n" + "\n".join(problems)


def test_every_setting_documented():
    fields = config_fields()
    found = {}
    for it in items(page("mlistd.conf.5"), "SETTINGS"):
        name = setting_name(it)
        if not name:
            raise AssertionError(f"mlistd.conf.5: an entry that is no '.It Ic NAME': {it['head'][0]}")
        group = "" if it["subsection"] == "Top level" else it["subsection"]
        found[f"{group}.{name}" if group else name] = "\n".join(it["lines"])
    missing = [p for p in fields if p not in found]
    unknown = [p for p in found if p not in fields]
    assert not missing, ("settings of mlistd/base/config.c missing from man/mlistd.conf.5 (add '.It Ic NAME' under the "
                         "'.Ss' of its group, '.Ss Top level' for a top-level one): " + ", ".join(missing))
    assert not unknown, "man/mlistd.conf.5 documents settings the config loader does not know: " + ", ".join(unknown)

    defaults = config_defaults()
    wrong = []
    for path, (group, name, kind, required, enum) in fields.items():
        text = found[path]
        if required:
            if "Required" not in text:
                wrong.append(f"{path}: is required, and the page does not say 'Required.'")
            continue
        if kind != "FIELD_GROUP" and "Default" not in text:
            wrong.append(f"{path}: says no 'Default: ...'")
            continue
        tail = after_default(text)
        for choice in enum or []:
            if not re.search(rf"(?<![\w-]){re.escape(choice)}(?![\w-])", text):
                wrong.append(f"{path}: does not name the choice \"{choice}\"")
        value = defaults.get(path)
        if kind == "FIELD_BOOL":
            want = "true" if value else "false"
            if not re.search(rf"\b{want}\b", tail):
                wrong.append(f"{path}: the default is {want}")
        elif kind in ("FIELD_INT", "FIELD_SIZE") and isinstance(value, int):
            if not re.search(rf"(?<![\d.]){value}(?!\.?\d)", tail):
                wrong.append(f"{path}: the default is {value}")
        elif kind == "FIELD_ENUM" and path not in defaults and enum:
            if not re.search(rf"(?<![\w-]){re.escape(enum[0])}(?![\w-])", tail):
                wrong.append(f"{path}: the default is \"{enum[0]}\"")
    assert not wrong, "man/mlistd.conf.5 disagrees with mlistd/base/config.c:\n  " + "\n  ".join(wrong)


def test_every_command_documented():
    table = cli_commands()
    entries = {}
    for it in items(page("mlistctl.8"), "COMMANDS"):
        words = command_words(it)
        if not words:
            raise AssertionError(f"mlistctl.8: a command entry without '.Cm NOUN VERB': {it['head'][0]}")
        entries[words] = it
    known = {words for words, _, _ in table}
    missing = [w for w in known if w not in entries]
    unknown = [w for w in entries if w not in known]
    assert not missing, ("commands of admin-cli/mlistctl.c missing from man/mlistctl.8 (add '.It Cm NOUN VERB ...' "
                         "under COMMANDS): " + ", ".join(sorted(missing)))
    assert not unknown, "man/mlistctl.8 documents commands mlistctl does not have: " + ", ".join(sorted(unknown))

    wrong = []
    for words, options, usage in table:
        it = entries[words]
        flags = set(macro_args(it["head"], "Fl"))
        head_args = {a.lower() for a in macro_args(it["head"], "Ar")}
        for opt in options:
            if "-" + opt.rstrip("=") not in flags:
                wrong.append(f"{words}: option --{opt.rstrip('=')} (as '.Fl -{opt.rstrip('=')}' in the entry's head)")
        if "--json" in usage and "-json" not in flags:
            wrong.append(f"{words}: option --json in the entry's head (its usage has it)")
        for arg in usage_arguments(usage):
            if arg not in head_args:
                wrong.append(f"{words}: argument {arg} (as '.Ar {arg}' in the entry's head)")
    assert not wrong, "man/mlistctl.8 lacks:\n  " + "\n  ".join(wrong)


def test_daemon_page_names_programs_and_options():
    text = page("mlistd.8")
    lines = text.splitlines()
    name_section = text.split(".Sh NAME", 1)[1].split(".Sh ", 1)[0].splitlines()
    programs = re.findall(r"executable\('(mlistd[\w-]*)'", source("mlistd/meson.build"))
    documented = set(macro_args(name_section, "Nm"))
    missing = [p for p in programs if p not in documented]
    assert programs and not missing, "programs missing from the NAME section of man/mlistd.8: " + ", ".join(missing)

    flags = set(macro_args(lines, "Fl"))
    wrong = []
    for rel in ("mlistd/mlistd.c", "mlistd/helper.c"):
        for name, letter in re.findall(r'\{\s*"([\w-]+)",\s*\w+_argument,\s*NULL,\s*\'(\w)\'\s*\}', source(rel)):
            if "-" + name not in flags:
                wrong.append(f"--{name} ({rel})")
            if rel == "mlistd/mlistd.c" and letter not in flags and not any(letter in f for f in flags
                                                                             if not f.startswith("-")):
                wrong.append(f"-{letter} ({rel})")
    assert not wrong, "options missing from man/mlistd.8: " + ", ".join(wrong)


def test_config_example_is_valid():
    """The example in mlistd.conf(5) EXAMPLES is a config mlistd -n accepts."""
    text = page("mlistd.conf.5").split(".Sh EXAMPLES", 1)[1]
    example = re.search(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", text, re.S | re.M).group(1)
    example = example.replace("\\e", "\\").replace("\\(dq", '"')
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mlistd.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(example)
        r = subprocess.run([MLISTD, "-n", "-c", path], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"mlistd -n refuses the example of man/mlistd.conf.5:\n{r.stdout}{r.stderr}"
