#!/usr/bin/env python3
"""tests/cli/cvalues_facts.py — a C program's values, from `stackheap run --json` and from its
text view, each compared with what gdb prints for the same program at the same line: a 2-D
array, bitfields (signed, unsigned, across bytes, 40 bits wide; DWARF 5 and 4), a
variable-length array, long double, __int128, _Complex, a char array, chars and a char
pointer, pointers into an array, a struct and a 2-D array, a function pointer, a const
array, a pointer returned, types with C's declarators (int (*)[3], char *const). Run by
test_cvalues.sh; prints "ok"/"FAIL" per fact and "N passed, N failed".

gdb runs the program itself when it is installed (`gdb -batch`, breakpoints at the lines the
facts are read at); without it, the facts are compared with GDB_SAID, what gdb 13.1 printed
for this program built by gcc 12 (SH_TEST_NO_GDB=1 makes it do so with gdb installed).

Where stackheap writes C differently from gdb, on purpose (docs/trace-json.md, "C values"):
a char is 'a' (gdb: 97 'a'), a char array stops at its NUL (gdb: "ab\\000\\000"), a complex
with a negative imaginary part is 3 - 4.5i (gdb: 3 + -4.5i), a struct is {x: 1, y: 2} (gdb:
{x = 1, y = 2}), type names have no space before [ (gdb: const int [3]), and base types are
named as C writes them: float _Complex (gdb: complex float), unsigned __int128 (gdb: __int128
unsigned).

Usage: cvalues_facts.py STACKHEAP_BIN WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from factcheck import check, finish, load_trace, c_compiler  # noqa: E402

BIN, WORK = sys.argv[1:3]

PROGRAM = r"""#include <stdio.h>
#include <stdlib.h>
struct point { int x; int y; };
struct flags { unsigned a : 3; signed b : 7; unsigned c : 12; signed d : 4; unsigned long long e : 40; };
static int *first(int *p) { return p; }
static int squares(int n) {
    int v[n];
    for (int i = 0; i < n; i++) v[i] = i * i;
    return v[n - 1];
}
int main(void) {
    int g[2][3] = {{1, 2, 3}, {4, 5, 6}};
    struct flags fl = {5, -50, 1000, -3, 0x123456789aULL};
    long double ld = -2.25L;
    __int128 big = -((__int128)1 << 100);
    unsigned __int128 ubig = ~(unsigned __int128)0;
    double _Complex z = 1.0 + 2.0 * __extension__ 1.0i;
    float _Complex fz = 3.0f - 4.5f * __extension__ 1.0fi;
    char name[8] = "ab\"c\n";
    char c = 'a';
    char nl = '\n';
    struct point ps[3] = {{1, 2}, {3, 4}, {5, 6}};
    struct point *pp = &ps[1];
    struct point p = {7, 8};
    int *py = &p.y;
    int *gp = &g[1][2];
    const int ca[3] = {7, 8, 9};
    int (*row)[3] = &g[1];
    int *(*fn)(int *) = first;
    char *const cp = name;
    struct point *pts[2] = {&p, 0};
    unsigned long ul = 5;
    const char *lit = "hi\tthere";
    int *h = first(malloc(4));
    int last = squares(4);
    free(h);
    return last - 9;
}
"""
MAIN_LINE = 35   # int last = squares(4);  every local of main above it is set
VLA_LINE = 9     # return v[n - 1];        v is filled

# What gdb 13.1 printed (gdb -batch, `info locals` and the expressions below).
GDB_SAID = {
    "main": {
        "g": "{{1, 2, 3}, {4, 5, 6}}",
        "fl": "{a = 5, b = -50, c = 1000, d = -3, e = 78187493530}",
        "ld": "-2.25",
        "big": "-1267650600228229401496703205376",
        "ubig": "340282366920938463463374607431768211455",
        "z": "1 + 2i",
        "fz": "3 + -4.5i",
        "name": '"ab\\"c\\n\\000\\000"',
        "c": "97 'a'",
        "nl": "10 '\\n'",
        "ps": "{{x = 1, y = 2}, {x = 3, y = 4}, {x = 5, y = 6}}",
        "p": "{x = 7, y = 8}",
        "ca": "{7, 8, 9}",
        "whatis ca": "const int [3]",
        "info address ca": "static storage at address 0x555555556038",
        "whatis ubig": "__int128 unsigned",
        "whatis big": "__int128",
        "whatis ld": "long double",
        "print pp == &ps[1]": "1",
        "print py == &p.y": "1",
        "print gp == &g[1][2]": "1",
        "lit": '0x555555556010 "hi\\tthere"',
        "print fn": "(int *(*)(int *)) 0x555555555149 <first>",
        "print row == &g[1]": "1",
        "whatis row": "int (*)[3]",
        "whatis fn": "int *(*)(int *)",
        "whatis cp": "char * const",
        "whatis pts": "struct point *[2]",
        "whatis ul": "unsigned long",
    },
    "squares": {"v": "{0, 1, 4, 9}", "whatis v": "int [4]"},
}
# gcc's (and gdb's) base type names that C programmers write otherwise (gdb: "unsigned int
# __int128" for clang's)
C_TYPES = {"__int128 unsigned": "unsigned __int128", "unsigned int __int128": "unsigned __int128"}
QUERIES = {"main": [k for k in GDB_SAID["main"] if " " in k],
           "squares": [k for k in GDB_SAID["squares"] if " " in k]}


def run_gdb(exe):
    """gdb's view at MAIN_LINE (main) and VLA_LINE (squares): name -> text, query -> answer."""
    cmds = ["-ex", f"break {MAIN_LINE}", "-ex", f"break {VLA_LINE}", "-ex", "run"]
    for stop in ("main", "squares"):
        cmds += ["-ex", "echo @@" + stop + "\\n", "-ex", "info locals"]
        for q in QUERIES[stop]:
            cmds += ["-ex", "echo @@" + q + "\\n", "-ex", q]
        cmds += ["-ex", "continue"]
    r = subprocess.run(["gdb", "-nx", "-batch", *cmds, exe], capture_output=True, text=True,
                       timeout=120, cwd=WORK)
    said, stop, query = {"main": {}, "squares": {}}, None, None
    for line in r.stdout.splitlines():
        if line.startswith("@@"):
            key = line[2:]
            if key in said:
                stop, query = key, None
            else:
                query = key
            continue
        if stop is None:
            continue
        if query:
            m = re.match(r"^(?:type = |\$\d+ = |Symbol \"\w+\" is )(.*?)\.?$", line)
            if m:
                said[stop][query] = m.group(1)
                query = None
        else:
            m = re.match(r"^(\w+) = (.*)$", line)
            if m:
                said[stop][m.group(1)] = m.group(2)
    return said


def c_type(gdb_type):
    """gdb's spelling of a type in stackheap's: `char * const` -> `char *const`,
    `const int [3]` -> `const int[3]` (but `int (*)[3]` stays), `__int128 unsigned` ->
    `unsigned __int128`."""
    t = C_TYPES.get(gdb_type, gdb_type).replace("* const", "*const")
    return re.sub(r"(\w) \[", r"\1[", t)


def gdb_fields(text):
    """{a = 5, b = -50} -> {"a": "5", "b": "-50"} (flat structs only)."""
    return dict(re.findall(r"(\w+) = ([^,}]+)", text))


def nested(text):
    """gdb's {{1, 2, 3}, {4, 5, 6}} as Python lists of ints."""
    return json.loads(text.replace("{", "[").replace("}", "]"))


def plain(v):
    """A JSON value as plain Python: arrays as lists, structs as dicts, scalars as values."""
    if v["kind"] == "array":
        return [plain(e) for e in v["elements"]]
    if v["kind"] == "struct":
        return {f["name"]: plain(f["value"]) for f in v["fields"]}
    return v.get("value")


def main():
    src = os.path.join(WORK, "cvalues.c")
    exe = os.path.join(WORK, "cvalues")
    with open(src, "w") as f:
        f.write(PROGRAM)
    subprocess.run([*c_compiler(), "-g", "-O0", "-o", exe, src], check=True)

    if shutil.which("gdb") and not os.environ.get("SH_TEST_NO_GDB"):
        gdb = run_gdb(exe)
        missing = [k for stop in GDB_SAID for k in GDB_SAID[stop] if k not in gdb[stop]]
        check("gdb answered every question", not missing, missing)
        for stop in GDB_SAID:
            for k, v in GDB_SAID[stop].items():
                gdb[stop].setdefault(k, v)
        print("note: the facts are compared with gdb's own output")
    else:
        gdb = GDB_SAID
        print("note: no gdb: the facts are compared with what gdb 13.1 printed")
    G, GV = gdb["main"], gdb["squares"]

    out = os.path.join(WORK, "t.json")
    r = subprocess.run([BIN, "run", "--json", out, "--", exe], cwd=WORK, capture_output=True,
                       text=True, timeout=300)
    check("traced: exit status 0", r.returncode == 0 and os.path.exists(out), r.stderr[-300:])
    if not os.path.exists(out):
        return
    t = load_trace(out)
    env = dict(os.environ, COLUMNS="200", LANG="C.UTF-8")
    env.pop("NO_COLOR", None)
    r = subprocess.run([BIN, "run", "--", exe], cwd=WORK, capture_output=True, text=True,
                       timeout=300, env=env)
    text = r.stdout

    def step_at(line, fn):
        return next((s for s in t["steps"] if s["line"] == line and s["frames"] and
                     s["frames"][-1]["function"] == fn), None)

    def var(s, name):
        return next((v for v in s["frames"][-1]["vars"] if v["name"] == name), None) if s else None

    sm, sv = step_at(MAIN_LINE, "main"), step_at(VLA_LINE, "squares")
    check(f"a step at line {MAIN_LINE} in main and one at line {VLA_LINE} in squares", sm and sv)
    if not (sm and sv):
        return
    M = {v["name"]: v for v in sm["frames"][-1]["vars"]}
    # gcc puts the const array ca in .rodata (DW_OP_addr): the static region's, as main's;
    # clang copies it into main's frame: main's local (gdb's `info address ca` says which)
    in_frame = "ca" in M
    ca_static = G["info address ca"].startswith("static storage")
    M.update({v["name"]: v for v in sm.get("statics", []) if v["function"] == "main"})

    # the text view's rows of the same steps: "  name : type (N bytes) = value"
    blocks = re.split(r"^Step \d+: ", text, flags=re.M)

    def rows(index):
        block = blocks[index + 1] if index + 1 < len(blocks) else ""
        return dict(re.findall(r"│   (\w+) : (.*? \(\d+ bytes?\) = .*?)(?: \*)?\s*(?:─*│|│)", block))

    TM, TV = rows(sm["index"]), rows(sv["index"])

    def row(rws, name):
        return rws.get(name, "")

    # 2-D array
    check("2-D array: JSON g is nested arrays as gdb's", plain(M["g"]["value"]) == nested(G["g"]),
          plain(M["g"]["value"]))
    check("2-D array: text g = {{1, 2, 3}, {4, 5, 6}} as gdb writes it",
          row(TM, "g") == f"int[2][3] (24 bytes) = {G['g']}", row(TM, "g"))

    # bitfields
    want = {k: int(v) for k, v in gdb_fields(G["fl"]).items()}
    check("bitfields: each field by its bits, signed and unsigned, across bytes, as gdb's",
          plain(M["fl"]["value"]) == want, (plain(M["fl"]["value"]), want))
    kinds = {f["name"]: f["value"]["kind"] for f in M["fl"]["value"]["fields"]}
    check("bitfields: signed fields are int, unsigned ones uint",
          kinds == {"a": "uint", "b": "int", "c": "uint", "d": "int", "e": "uint"}, kinds)
    check("bitfields: text fl = {a: 5, b: -50, c: 1000, d: -3, e: 78187493530}",
          row(TM, "fl").endswith("= {a: 5, b: -50, c: 1000, d: -3, e: 78187493530}"), row(TM, "fl"))

    # VLA
    v = var(sv, "v")
    check("VLA: v's type has its run-time length, as gdb's whatis",
          v and v["type"] == c_type(GV["whatis v"]) and v["size"] == 16,
          v and (v["type"], v["size"]))
    check("VLA: v's elements are gdb's", v and plain(v["value"]) == nested(GV["v"]), v and plain(v["value"]))
    check("VLA: text v : int[4] (16 bytes) = {0, 1, 4, 9}",
          row(TV, "v") == f"int[4] (16 bytes) = {GV['v']}", row(TV, "v"))

    # long double
    check("long double: ld is gdb's value, typed long double",
          M["ld"]["value"]["kind"] == "float" and M["ld"]["value"]["value"] == float(G["ld"]) and
          M["ld"]["type"] == G["whatis ld"], M["ld"])
    check("long double: text ld = -2.25", row(TM, "ld") == f"long double (16 bytes) = {G['ld']}", row(TM, "ld"))

    # __int128
    for n, kind in (("big", "int"), ("ubig", "uint")):
        x = M[n]
        check(f"__int128: {n} is gdb's value, exact in the JSON and the text",
              x["value"]["kind"] == kind and x["value"]["value"] == int(G[n]) and
              x["value"]["text"] == G[n] and x["type"] == c_type(G["whatis " + n]),
              (x["type"], x["value"]))
    check("__int128: text ubig : unsigned __int128 (16 bytes) = 340282366920938463463374607431768211455",
          row(TM, "ubig") == f"unsigned __int128 (16 bytes) = {G['ubig']}", row(TM, "ubig"))

    # _Complex
    check("_Complex: z's text is gdb's, 1 + 2i", M["z"]["value"]["text"] == G["z"], M["z"]["value"])
    m = re.match(r"^(\S+) \+ (\S+)i$", G["fz"])
    re_, im = (float(m.group(1)), float(m.group(2))) if m else (None, None)
    check("_Complex: fz's parts are gdb's (real, imag fields), text 3 - 4.5i",
          plain(M["fz"]["value"]) == {"real": re_, "imag": im} and M["fz"]["value"]["text"] == "3 - 4.5i",
          M["fz"]["value"])
    check("_Complex: types as C writes them, double _Complex and float _Complex",
          M["z"]["type"] == "double _Complex" and M["fz"]["type"] == "float _Complex",
          (M["z"]["type"], M["fz"]["type"]))
    check("_Complex: text z = 1 + 2i", row(TM, "z") == "double _Complex (16 bytes) = 1 + 2i", row(TM, "z"))

    # chars
    gdb_name = re.sub(r'(\\000)+"$', '"', G["name"])   # stackheap stops at the NUL
    check("char array: name's text is the string up to its NUL, escaped as gdb escapes",
          M["name"]["value"]["text"] == gdb_name and M["name"]["value"]["kind"] == "array" and
          len(M["name"]["value"]["elements"]) == 8, M["name"]["value"]["text"])
    check("char array: text name = \"ab\\\"c\\n\"", row(TM, "name") == f"char[8] (8 bytes) = {gdb_name}", row(TM, "name"))
    for n in ("c", "nl"):
        code, quoted = G[n].split(" ", 1)
        check(f"char: {n} is gdb's code and its quoted form ({G[n]})",
              M[n]["value"]["kind"] == "char" and M[n]["value"]["value"] == int(code) and
              M[n]["value"]["text"] == quoted and row(TM, n) == f"char (1 byte) = {quoted}",
              (M[n]["value"], row(TM, n)))

    # pointers into the stack, named as C names the place
    for n, target, place, off in (("pp", "ps", "ps[1]", 8), ("py", "p", "p.y", 4),
                                  ("gp", "g", "g[1][2]", 20)):
        x = M[n]
        check(f"pointer: {n} holds &{place} (gdb: {n} == &{place} is {G['print ' + n + ' == &' + place]})",
              G["print " + n + " == &" + place] == "1" and
              int(x["value"]["addr"], 16) - int(M[target]["addr"], 16) == off,
              (x["value"], M[target]["addr"]))
        check(f"pointer: text {n} = &{place}", row(TM, n).endswith(f"= &{place}"), row(TM, n))
    x = M["row"]
    check("pointer: row (int (*)[3]) holds &g[1], the whole row (gdb: row == &g[1] is 1)",
          G["print row == &g[1]"] == "1" and int(x["value"]["addr"], 16) - int(M["g"]["addr"], 16) == 12 and
          row(TM, "row").endswith("= &g[1]"), (x["value"], row(TM, "row")))
    for n in ("row", "fn", "cp", "pts", "ul"):
        check(f"type: {n} is {G['whatis ' + n]} as gdb's whatis (C's spacing: *const, no space before [)",
              M[n]["type"] == c_type(G["whatis " + n]), M[n]["type"])
    check("pointer: a pointer's JSON text is its address in hex",
          M["pp"]["value"]["text"] == M["pp"]["value"]["addr"], M["pp"]["value"])

    # a char pointer: its address and the string there, as gdb prints it
    lit_addr = G["lit"].split(" ", 1)[0]
    check("char pointer: lit's text is the address and the string, as gdb's (0x… \"hi\\tthere\")",
          M["lit"]["value"]["text"] == (G["lit"] if gdb is not GDB_SAID else
                                        M["lit"]["value"]["addr"] + G["lit"][len(lit_addr):]) and
          row(TM, "lit").endswith("= " + M["lit"]["value"]["text"]), (M["lit"]["value"], row(TM, "lit")))

    # a function pointer: its address and the function's name, as gdb prints it
    fn_text = G["print fn"].split(") ", 1)[-1]   # gdb puts the type first: (int *(*)(int *))
    check("function pointer: fn's text is the address and <first>, as gdb's",
          M["fn"]["value"]["text"] == (fn_text if gdb is not GDB_SAID else
                                       M["fn"]["value"]["addr"] + " <first>") and
          row(TM, "fn").endswith("= " + M["fn"]["value"]["text"]), (M["fn"]["value"], fn_text))

    # a const array's type, a heap pointer in hex, a pointer return in the title
    check("const array: ca is const int[3] (gdb: const int [3]), not const const",
          M["ca"]["type"] == c_type(G["whatis ca"]) and plain(M["ca"]["value"]) == nested(G["ca"]),
          M["ca"]["type"])
    check("const array: ca is where gdb says, in .rodata (the static region) or main's frame",
          "ca" in M and in_frame != ca_static, (G["info address ca"], in_frame))
    check("const array: text ca = {7, 8, 9}", row(TM, "ca") == f"const int[3] (12 bytes) = {G['ca']}", row(TM, "ca"))
    h = M["h"]["value"]
    check("pointer: text h = 0x… (hex, the block's address)",
          re.match(r"^int \* \(8 bytes\) = 0x[0-9a-f]+$", row(TM, "h")) and row(TM, "h").endswith(h["addr"]),
          (row(TM, "h"), h))
    titles = [s["title"] for s in t["steps"] if s["title"].startswith("first() returned")]
    check("title: first() returned <the block's address in hex>",
          titles == [f"first() returned {h['addr']}"] and f"first() returned {h['addr']}" in text, titles)

    # DWARF 4 places bitfields by DW_AT_bit_offset from the storage unit's top bit
    exe4 = exe + "-dwarf4"
    subprocess.run([*c_compiler(), "-g", "-gdwarf-4", "-O0", "-o", exe4, src], check=True)
    out4 = os.path.join(WORK, "t4.json")
    r = subprocess.run([BIN, "run", "--json", out4, "--", exe4], cwd=WORK, capture_output=True,
                       text=True, timeout=300)
    fl4 = None
    if r.returncode == 0 and os.path.exists(out4):
        t4 = load_trace(out4)
        s4 = next((s for s in t4["steps"] if s["line"] == MAIN_LINE and s["frames"] and
                   s["frames"][-1]["function"] == "main"), None)
        fl4 = next((v for v in s4["frames"][-1]["vars"] if v["name"] == "fl"), None) if s4 else None
    check("bitfields: the same values from DWARF 4's DW_AT_bit_offset (cc -gdwarf-4)",
          fl4 is not None and plain(fl4["value"]) == want, fl4 and plain(fl4["value"]))

    # the struct array keeps the lesson's struct notation
    check("struct array: text ps = {{x: 1, y: 2}, {x: 3, y: 4}, {x: 5, y: 6}}",
          row(TM, "ps") == "struct point[3] (24 bytes) = {{x: 1, y: 2}, {x: 3, y: 4}, {x: 5, y: 6}}" and
          plain(M["ps"]["value"]) == [{k: int(v) for k, v in gdb_fields(s).items()}
                                      for s in re.findall(r"\{x = [^}]*\}", G["ps"])],
          row(TM, "ps"))


main()
finish()
