#!/usr/bin/python3
"""Checks that the install sets of scripts/deps.sh cover what the scripts use.

Reads the shell scripts of tests/, scripts/ and bench/ (parsed by shfmt,
not by pattern), the recipes of the Makefile and the Python files of tests/,
and finds every external command they run and every Python module they
import. Each is resolved on this machine to the Debian package that holds it
(the command in Debian's PATH, the module with /usr/bin/python3, then
dpkg -S). Each script serves a purpose (build, check, demo, bench, deb): the
tests serve check, the Makefile's targets their own, and a script run or
sourced by another serves its caller's purposes too. A package is accepted
for a purpose when `scripts/deps.sh --list PURPOSE` names it, when one of
those packages depends on it (Depends/Pre-Depends, recursively, as
installed), or when it is part of every Debian (Essential or Priority
required: what debootstrap --variant=minbase installs).

Prints TAP-like lines (ok - / not ok - with "# " details) for tests/run.sh.
usage: install_list.py SRCDIR
"""
import ast
import json
import os
import re
import shutil
import subprocess
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
DEBIAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PH = "\x01"  # stands for anything expanded at run time
PURPOSES = ("build", "check", "demo", "bench", "deb")

# Where each script's own purpose comes from; scripts run by these inherit.
# The Makefile's targets are mapped by name in makefile_recipes().
DIR_PURPOSE = {"tests/": "check", "bench/": "bench"}

# Commands that run the command given in their arguments, and how many of
# their options take a value (so the command can be found after them).
WRAPPERS = {
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "stdbuf": {"-i", "-o", "-e"},
    "nice": {"-n"},
    "ionice": {"-c", "-n", "-p"},
    "env": {"-u", "-C", "--unset", "--chdir"},
    "nohup": set(),
    "setsid": set(),
    "exec": {"-a"},
    "builtin": set(),
    "time": set(),
    "xargs": {"-I", "-P", "-n", "-d", "-L", "-s", "-E", "-a"},
    "setpriv": set(),
    "sudo": {"-u", "-g"},
    "chrt": set(),
}
# Wrappers whose first operand is not the command (a duration, a file).
WRAPPER_OPERANDS = {"timeout": 1, "flock": 1, "faketime": 1}
for w in WRAPPER_OPERANDS:
    WRAPPERS.setdefault(w, set())


def fail(msg):
    print("not ok - " + msg)
    sys.exit(1)


def shfmt_parse(text):
    r = subprocess.run(["shfmt", "-ln", "bash", "-tojson"], input=text, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def word_text(w):
    """The word as a string; PH where something is expanded at run time."""
    out = []

    def parts(ps):
        for p in ps:
            t = p.get("Type")
            if t in ("Lit", "SglQuoted"):
                out.append(p.get("Value", "").replace("WWTPVAR_", PH))
            elif t == "DblQuoted":
                parts(p.get("Parts", []))
            else:
                out.append(PH)

    parts(w.get("Parts", []))
    return "".join(out)


def is_all_args(w):
    """True for "$@" or $@."""
    ps = w.get("Parts", [])
    if len(ps) == 1 and ps[0].get("Type") == "DblQuoted":
        ps = ps[0].get("Parts", [])
    return len(ps) == 1 and ps[0].get("Type") == "ParamExp" and ps[0].get("Param", {}).get("Value") == "@"


def walk(node, fn):
    if isinstance(node, dict):
        fn(node)
        for v in node.values():
            walk(v, fn)
    elif isinstance(node, list):
        for v in node:
            walk(v, fn)


class Use:
    def __init__(self, name, file, line):
        self.name, self.file, self.line = name, file, line


class Scan:
    def __init__(self):
        self.files = {}  # rel path -> parsed tree (shell) or None (python)
        self.funcs = {}  # name -> body node
        self.kind = {}  # function name -> "chroot" | ("args", shifts) | "eval"
        self.cmds = {}  # rel -> [Use]
        self.mods = {}  # rel -> [Use]
        self.links = {}  # rel -> set of rel files it runs or sources
        self.own = {}  # rel -> set of purposes
        self.builtins = set(
            subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True).stdout.split()
        ) | {"[", "[[", ".", ":", "source"}

    # --- reading -----------------------------------------------------------
    def add_shell(self, rel, text, purpose=None):
        tree = shfmt_parse(text)
        if tree is None:
            fail(f"shfmt parses {rel}")
        self.add_file(rel, tree, text, purpose)

    def add_python(self, rel, purpose=None):
        with open(os.path.join(SRC, rel), encoding="utf-8") as f:
            text = f.read()
        self.add_file(rel, None, text, purpose)
        self.mods[rel] = [Use(m, rel, n) for m, n in python_imports(text)]

    def add_file(self, rel, tree, text, purpose):
        """tree: the shell script's syntax tree, None for Python."""
        self.files[rel] = tree
        self.cmds.setdefault(rel, [])
        self.mods.setdefault(rel, [])
        self.links.setdefault(rel, set())
        self.own.setdefault(rel, set())
        if purpose:
            self.own[rel].add(purpose)
        first = text.split("\n", 1)[0]
        if first.startswith("#!"):
            self.shebang(rel, first)

    def shebang(self, rel, first):
        words = first[2:].split()
        if not words:
            return
        if os.path.basename(words[0]) == "env" and len(words) > 1:
            self.cmds[rel].append(Use(words[0], rel, 1))
            words = words[1:]
        self.cmds[rel].append(Use(words[0], rel, 1))

    # --- functions -----------------------------------------------------------
    def collect_funcs(self):
        for tree in self.files.values():
            if tree is None:
                continue

            def fn(n):
                if n.get("Type") == "FuncDecl":
                    self.funcs[n["Name"]["Value"]] = n["Body"]

            walk(tree, fn)
        # What each function does with its arguments, to a fixed point
        # (as_wwtp calls in_root, which calls chroot).
        changed = True
        while changed:
            changed = False
            for name, body in self.funcs.items():
                k = self.func_kind(body)
                if k != self.kind.get(name):
                    self.kind[name] = k
                    changed = True

    def func_kind(self, body):
        found = []
        shifts = [0]

        def fn(n):
            if n.get("Type") != "CallExpr" or not n.get("Args"):
                return
            words = self.effective(n["Args"])
            if not words:
                return
            w0 = word_text(words[0])
            if w0 == "shift":
                a = word_text(words[1]) if len(words) > 1 else "1"
                shifts[0] += int(a) if a.isdigit() else 1
            elif w0 == "chroot" or self.kind.get(w0) == "chroot":
                found.append("chroot")
            elif w0 == "eval" and len(words) == 2 and self.is_param(words[1]):
                found.append("eval")  # eval "$cond": runs what it is given
            elif is_all_args(words[0]):
                found.append(("args", shifts[0]))

        walk(body, fn)
        for k in ("chroot", "eval"):
            if k in found:
                return k
        for k in found:
            return k
        return None

    @staticmethod
    def is_param(w):
        ps = w.get("Parts", [])
        if len(ps) == 1 and ps[0].get("Type") == "DblQuoted":
            ps = ps[0].get("Parts", [])
        return len(ps) == 1 and ps[0].get("Type") == "ParamExp"

    # --- commands ------------------------------------------------------------
    def effective(self, args):
        """The words of the command a call runs, past wrappers."""
        words = list(args)
        while words:
            w0 = word_text(words[0])
            name = os.path.basename(w0)
            k = self.kind.get(w0)
            if isinstance(k, tuple):
                words = words[1 + k[1]:]
                continue
            if name == "command" and len(words) > 1 and word_text(words[1]).startswith("-"):
                return []  # command -v X only asks
            if name == "command":
                words = words[1:]
                continue
            if name not in WRAPPERS:
                return words
            takes = WRAPPERS[name]
            i = 1
            while i < len(words):
                t = word_text(words[i])
                if name == "env" and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t):
                    i += 1
                elif t.startswith("-") and t != "-":
                    i += 2 if t in takes else 1
                else:
                    break
            i += WRAPPER_OPERANDS.get(name, 0)
            words = words[i:]
        return words

    def scan_calls(self, rel, tree, line0=None):
        def fn(n):
            if "Cmd" in n and isinstance(n.get("Cmd"), dict) and n["Cmd"].get("Type") == "CallExpr":
                self.call(rel, n["Cmd"], n.get("Redirs") or [], line0)
            for w in self.all_words(n):
                self.link_word(rel, w)
                self.program_paths(rel, w, line0)

        walk(tree, fn)

    def all_words(self, n):
        if n.get("Type") == "CallExpr":
            ws = list(n.get("Args") or [])
            ws += [a["Value"] for a in n.get("Assigns") or [] if a.get("Value")]
            return ws
        if n.get("Type") == "ForClause":
            loop = n.get("Loop") or {}
            return list(loop.get("Items") or [])
        return []

    def program_paths(self, rel, w, line0):
        """A program or a shared library named by its full path anywhere in a word
        (PY=/usr/bin/python3, a browser's path in JSON, libfaketime for
        LD_PRELOAD): used, even when no call names it."""
        pattern = r"(?<![\w/.$\x01-])((?:/usr)?/s?bin/[\w.+-]+|(?:/usr)?/lib/[\w/.+-]+\.so[\w.]*)"
        for m in re.finditer(pattern, word_text(w)):
            self.cmds[rel].append(Use(m.group(1), rel, line0 or w.get("Pos", {}).get("Line", 0)))

    def link_word(self, rel, w):
        """A word naming one of our scripts: the caller runs or sources it."""
        t = word_text(w)
        if "/" not in t and not t.endswith((".sh", ".py")):
            return
        best = None
        for f in self.files:
            b = os.path.basename(f)
            if t == f or t.endswith("/" + f) or (t.endswith("/" + b) and t.split("/")[-2:-1] in ([PH], [".."], ["lib"])):
                if best is None or os.path.dirname(f) == os.path.dirname(rel):
                    best = f
        if best and best != rel:
            self.links[rel].add(best)

    def call(self, rel, cexpr, redirs, line0):
        words = self.effective(cexpr.get("Args") or [])
        if not words:
            return
        w0 = word_text(words[0])
        line = line0 or words[0].get("Pos", {}).get("Line", 0)
        if PH in w0 or not w0:
            return  # a variable: our programs ($SIM, $COLLECTOR) or set at run time
        name = os.path.basename(w0)
        k = self.kind.get(w0)
        if k == "chroot" or name == "chroot":
            return  # runs in another root, not on this machine
        if k == "eval" or name in ("eval", "trap"):
            if len(words) > 1 and word_text(words[1]) != "-":
                self.scan_string(rel, word_text(words[1]), line)
            return
        if w0 in self.funcs or w0 in self.builtins and "/" not in w0:
            return
        if "/" in w0 and not w0.startswith("/"):
            return  # ours: build/..., scripts/..., ./x
        self.cmds[rel].append(Use(w0, rel, line))
        rest = [word_text(w) for w in words[1:]]
        if name in ("sh", "bash", "dash") and "-c" in rest:
            i = rest.index("-c")
            if i + 1 < len(rest):
                self.scan_string(rel, rest[i + 1], line)
        if name == "find":
            for i, t in enumerate(rest[:-1]):
                if t in ("-exec", "-execdir", "-ok") and PH not in rest[i + 1]:
                    self.cmds[rel].append(Use(rest[i + 1], rel, line))
        if re.match(r"^python3(\.\d+)?$", name):
            self.python_call(rel, rest, redirs, line)

    def python_call(self, rel, rest, redirs, line):
        if "-m" in rest and rest.index("-m") + 1 < len(rest):
            self.mods[rel].append(Use(rest[rest.index("-m") + 1].split(".")[0], rel, line))
        if "-c" in rest and rest.index("-c") + 1 < len(rest):
            code = rest[rest.index("-c") + 1]
            self.mods[rel] += [Use(m, rel, line) for m, _ in python_imports(code.replace(PH, "0"))]
        for r in redirs:
            if r.get("Hdoc"):
                code = word_text(r["Hdoc"]).replace(PH, "0")
                self.mods[rel] += [Use(m, rel, line + n - 1) for m, n in python_imports(code)]

    def scan_string(self, rel, text, line):
        if not text.strip():
            return
        tree = shfmt_parse(text.replace(PH, "WWTPVAR_"))
        if tree is None:
            return

        def fix(n):  # what was expanded stays unknown
            if n.get("Type") == "Lit" and "WWTPVAR_" in n.get("Value", ""):
                n["Value"] = n["Value"].replace("WWTPVAR_", PH)

        walk(tree, fix)
        self.scan_calls(rel, tree, line)

    # --- purposes ------------------------------------------------------------
    def purposes(self):
        p = {f: set(s) for f, s in self.own.items()}
        changed = True
        while changed:
            changed = False
            for f, callees in self.links.items():
                for c in callees:
                    if not p[f] <= p[c]:
                        p[c] |= p[f]
                        changed = True
        return p


def python_imports(code):
    """(module, line) for each absolute import of top-level modules."""
    out = []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        for n, l in enumerate(code.splitlines(), 1):
            m = re.match(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", l)
            if m:
                out.append((m.group(1), n))
        return out
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module.split(".")[0], node.lineno))
    return out


def makefile_recipes(scan):
    """The Makefile's recipes as shell, one file per purpose."""
    target_purpose = [
        (r"^(check|test|lint|format|format-check|fuzz.*)$", "check"),
        (r"^(bench.*)$", "bench"),
        (r"^demo$", "demo"),
        (r"^deb$", "deb"),
    ]
    # One text per purpose, as long as the Makefile (other lines blank), so
    # that a finding names the Makefile's own line.
    recipes = {p: [] for p in PURPOSES}
    purpose, in_recipe, continued = "build", False, False
    with open(os.path.join(SRC, "Makefile"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    for l in lines:
        for p in PURPOSES:
            recipes[p].append("")
        was_continued, continued = continued, l.endswith("\\")
        if was_continued:
            if in_recipe:  # the shell joins the lines itself
                recipes[purpose][-1] = make_vars(l.replace("$$", "\x02")).replace("\x02", "$")
            continue
        in_recipe = l.startswith("\t")
        m = re.match(r"^([^\t#=:][^=:]*?):(?!=)", l)
        if m:
            purpose = "build"
            for t in m.group(1).split():
                for pat, p in target_purpose:
                    if re.match(pat, t):
                        purpose = p
        elif in_recipe:
            sh = l[1:].lstrip("@-+ ").replace("$$", "\x02")
            recipes[purpose][-1] = make_vars(sh).replace("\x02", "$")
    for p, rs in recipes.items():
        scan.add_shell(f"Makefile[{p}]", "\n".join(rs), p)


def make_vars(sh):
    """Each make reference $(...), ${...} or $X, nested or not, as one unknown."""
    out, i = [], 0
    while i < len(sh):
        if sh[i] == "$" and i + 1 < len(sh):
            if sh[i + 1] in "({":
                depth, j = 0, i + 1
                while j < len(sh):
                    depth += sh[j] in "({"
                    depth -= sh[j] in ")}"
                    j += 1
                    if depth == 0:
                        break
                i = j
            else:
                i += 2
            out.append("WWTPVAR_")
        else:
            out.append(sh[i])
            i += 1
    return "".join(out)


def installed_packages():
    fmt = "${Package}\t${db:Status-Abbrev}\t${Priority}\t${Essential}\t${Pre-Depends}, ${Depends}\t${Provides}\n"
    r = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True)
    pkgs, provides = {}, {}
    for l in r.stdout.splitlines():
        name, status, prio, ess, deps, prov = (l.split("\t") + [""] * 6)[:6]
        if not status.startswith("ii"):
            continue
        pkgs[name] = {"prio": prio, "ess": ess == "yes", "deps": deps}
        for v in prov.split(","):
            v = v.strip().split(" ")[0]
            if v:
                provides.setdefault(v, set()).add(name)
    return pkgs, provides


def closure(roots, pkgs, provides):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alt in re.split(r"[,|]", pkgs.get(p, {}).get("deps", "")):
            d = alt.strip().split(" ")[0].split(":")[0]
            if not d:
                continue
            for q in [d] + sorted(provides.get(d, ())):
                if q in pkgs and q not in seen:
                    todo.append(q)
    return seen


def owners(paths):
    """path -> package, for the paths dpkg knows."""
    r = subprocess.run(["dpkg", "-S"] + sorted(paths), capture_output=True, text=True)
    out = {}
    for l in r.stdout.splitlines():
        if l.startswith("diversion "):
            continue
        pk, _, path = l.partition(": ")
        out[path.strip()] = pk.split(",")[0].split(":")[0].strip()
    return out


def candidates(path):
    c = [path, os.path.realpath(path)]
    for p in list(c):
        if p.startswith("/usr/"):
            c.append(p[4:])
        else:
            c.append("/usr" + p)
    return list(dict.fromkeys(c))


def main():
    if not shutil.which("shfmt"):
        fail("shfmt is installed (Debian package shfmt, `scripts/deps.sh check`)")
    scan = Scan()
    for d in ("tests", "scripts", "bench"):
        for root, _, names in os.walk(os.path.join(SRC, d)):
            for n in sorted(names):
                rel = os.path.relpath(os.path.join(root, n), SRC)
                purpose = next((p for pre, p in DIR_PURPOSE.items() if rel.startswith(pre)), None)
                if n.endswith(".sh"):
                    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
                        scan.add_shell(rel, f.read(), purpose)
                elif n.endswith(".py"):
                    scan.add_python(rel, purpose)
    makefile_recipes(scan)
    scan.collect_funcs()
    for rel, tree in list(scan.files.items()):
        if tree is not None:
            scan.scan_calls(rel, tree)
    purposes = scan.purposes()

    sets = {}
    for p in PURPOSES:
        r = subprocess.run([os.path.join(SRC, "scripts/deps.sh"), "--list", p], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"scripts/deps.sh --list {p} works: {r.stderr.strip()}")
        sets[p] = r.stdout.split()
    pkgs, provides = installed_packages()
    base = {n for n, i in pkgs.items() if i["ess"] or i["prio"] == "required"}
    allowed = {p: closure(sets[p], pkgs, provides) | base for p in PURPOSES}

    # Commands: found in Debian's PATH (a fresh machine has nothing in
    # /usr/local), then their package.
    where = {}
    for rel, uses in scan.cmds.items():
        for u in uses:
            if u.name not in where:
                where[u.name] = u.name if u.name.startswith("/") else shutil.which(u.name, path=DEBIAN_PATH)
    paths = {c for w in where.values() if w and os.path.exists(w) for c in candidates(w)}
    own = owners(paths)
    cmd_pkg = {}
    for name, w in where.items():
        if w and os.path.exists(w):
            cmd_pkg[name] = next((own[c] for c in candidates(w) if c in own), None)

    # Python modules, as Debian's python3 (-I: no user or environment paths) finds them.
    mods = sorted({u.name for us in scan.mods.values() for u in us})
    probe = (
        "import importlib.util,sys\n"
        "for m in sys.argv[1:]:\n"
        "    try: s = importlib.util.find_spec(m)\n"
        "    except Exception: s = None\n"
        "    print(m, 'MISSING' if s is None else (s.origin if s.origin not in (None, 'built-in', 'frozen') else 'BUILTIN'))\n"
    )
    mod_where = {}
    if mods and os.path.exists("/usr/bin/python3"):
        r = subprocess.run(["/usr/bin/python3", "-I", "-c", probe] + mods, capture_output=True, text=True)
        for l in r.stdout.splitlines():
            m, _, w = l.partition(" ")
            mod_where[m] = "/usr/bin/python3" if w == "BUILTIN" else w  # compiled into python3
    mpaths = {c for w in mod_where.values() if w.startswith("/") for c in candidates(w)}
    mown = owners(mpaths) if mpaths else {}

    def pkg_hint(name):
        r = subprocess.run(["apt-cache", "show", "--no-all-versions", name], capture_output=True, text=True)
        return f"Debian has a package {name}" if r.returncode == 0 and r.stdout.strip() else "its package is not known here"

    bad = 0
    counted = {p: set() for p in PURPOSES}
    reported = set()

    def judge(kind, name, uses, pkg, missing_why):
        nonlocal bad
        for u in uses:
            for p in sorted(purposes.get(u.file, set())):
                key = (name, p)
                if key in reported:
                    continue
                if pkg is None:
                    reported.add(key)
                    bad += 1
                    print(f"not ok - {kind} {name} ({u.file}:{u.line}, for {p}) {missing_why}")
                    print(f"# add its Debian package to the {p} set of scripts/deps.sh")
                elif pkg not in allowed[p]:
                    reported.add(key)
                    bad += 1
                    print(f"not ok - {kind} {name} ({u.file}:{u.line}, for {p}) comes from Debian package {pkg},"
                          f" which `scripts/deps.sh {p}` neither lists nor pulls in, and which is not part of a minimal Debian")
                    print(f"# add {pkg} to the {p} set of scripts/deps.sh")
                else:
                    counted[p].add(f"{kind} {name}")

    by_cmd = {}
    for uses in scan.cmds.values():
        for u in uses:
            by_cmd.setdefault(u.name, []).append(u)
    for name in sorted(by_cmd):
        w = where.get(name)
        kind = "library" if ".so" in os.path.basename(name) else "command"
        if not w or not os.path.exists(w):
            judge(kind, name, by_cmd[name], None, f"is not installed ({pkg_hint(os.path.basename(name))})")
        else:
            judge(kind, name, by_cmd[name], cmd_pkg.get(name),
                  f"is {w}, which no Debian package installed (a fresh machine would not have it)")
    by_mod = {}
    for uses in scan.mods.values():
        for u in uses:
            by_mod.setdefault(u.name, []).append(u)
    local = {os.path.splitext(os.path.basename(f))[0] for f in scan.files if f.endswith(".py")}
    for name in sorted(by_mod):
        if name in local:
            continue
        w = mod_where.get(name, "MISSING")
        if w == "MISSING":
            judge("Python module", name, by_mod[name], None,
                  f"cannot be imported by /usr/bin/python3 ({pkg_hint('python3-' + name.lower())})")
        else:
            pk = next((mown[c] for c in candidates(w) if c in mown), None)
            judge("Python module", name, by_mod[name], pk,
                  f"is {w}, which no Debian package installed (a fresh machine would not have it)")

    nfiles = sum(1 for f in scan.files if purposes.get(f))
    orphans = [f for f in scan.files if not purposes.get(f) and (scan.cmds.get(f) or scan.mods.get(f))]
    for f in sorted(orphans):
        bad += 1
        print(f"not ok - {f} serves a purpose (run by the Makefile, a test or another script)")
    for p in PURPOSES:
        print(f"ok - {p}: {len(counted[p])} commands and modules, each from a package `scripts/deps.sh {p}`"
              f" installs or a minimal Debian has ({len(sets[p])} packages listed)")
    print(f"# {nfiles} scripts and Makefile recipes read; {len(by_cmd)} commands, {len(by_mod)} Python modules")
    if os.environ.get("INSTALL_LIST_VERBOSE"):
        for name in sorted(by_cmd):
            print(f"# {name}: {cmd_pkg.get(name)} <- {sorted({u.file for u in by_cmd[name]})}")
        for name in sorted(by_mod):
            print(f"# module {name}: {mod_where.get(name)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
