#!/usr/bin/env python3
"""Check spec files against schemas/flytec-spec.schema.json (Python standard library only).

    python3 tests/golden/schema/schema_check.py [--expect-invalid] FILE_OR_DIR...

Each YAML document is read the way flytec reads it (yaml2json.c, built on demand against build/libflytec.a) and
validated with the subset of JSON Schema 2020-12 the schema uses. Exit status 0 when every document is valid
(or, with --expect-invalid, when every file has at least one invalid document).
"""
import json, math, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SCHEMA = json.load(open(os.path.join(ROOT, "schemas", "flytec-spec.schema.json"), encoding="utf-8"))


def build_helper():
    exe = os.path.join(ROOT, "build", "yaml2json")
    src = os.path.join(HERE, "yaml2json.c")
    lib = os.path.join(ROOT, "build", "plain", "libflytec.a")
    if os.path.exists(exe) and os.path.getmtime(exe) > max(os.path.getmtime(src), os.path.getmtime(lib)):
        return exe
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    pkgs = "yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8"
    cflags = subprocess.run("pkg-config --cflags " + pkgs, shell=True, capture_output=True, text=True).stdout.split()
    libs = subprocess.run("pkg-config --libs " + pkgs, shell=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-I" + ROOT, "-I" + os.path.join(ROOT, "build", "plain", "gen")] + cflags
                   + ["-o", exe, src, lib] + libs + ["-linotifytools", "-lm", "-lpthread"], check=True)
    return exe


def number(d):
    if "$int" in d and len(d) == 1:
        s = d["$int"]
        sign = -1 if s.startswith("-") else 1
        s = s.lstrip("+-")
        return sign * (int(s[2:], 16) if s[:2] in ("0x", "0X") else int(s[2:], 8) if s[:2] == "0o" else int(s, 10))
    if "$float" in d and len(d) == 1:
        s = d["$float"].lower()
        return {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}.get(s) or float(s)
    return d


TYPES = {"object": dict, "array": list, "string": str, "null": type(None), "boolean": bool}


def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def resolve(ref):
    node = SCHEMA
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def errors(v, s, path="$"):
    """Yield (path, message) for every way `v` fails schema `s`."""
    if s is True:
        return
    if s is False:
        yield path, "not allowed"
        return
    if "$ref" in s:
        yield from errors(v, resolve(s["$ref"]), path)
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            yield path, "expected %s, got %r" % ("/".join(ts), v)
            return
    if "enum" in s and v not in s["enum"]:
        yield path, "%r is not one of %s" % (v, s["enum"])
    if isinstance(v, str):
        if "pattern" in s and not re.search(s["pattern"], v):
            yield path, "%r does not match %s" % (v, s["pattern"])
        if len(v) < s.get("minLength", 0):
            yield path, "too short"
    if is_type(v, "number"):
        if "minimum" in s and v < s["minimum"]:
            yield path, "%r < %r" % (v, s["minimum"])
        if "maximum" in s and v > s["maximum"]:
            yield path, "%r > %r" % (v, s["maximum"])
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]:
            yield path, "%r <= %r" % (v, s["exclusiveMinimum"])
    if isinstance(v, list):
        if len(v) < s.get("minItems", 0):
            yield path, "fewer than %d items" % s["minItems"]
        if s.get("uniqueItems") and len(set(map(json.dumps, v))) != len(v):
            yield path, "items are not unique"
        if "items" in s:
            for i, item in enumerate(v):
                yield from errors(item, s["items"], "%s[%d]" % (path, i))
    if isinstance(v, dict):
        for r in s.get("required", []):
            if r not in v:
                yield path, "missing %r" % r
        if len(v) < s.get("minProperties", 0) or len(v) > s.get("maxProperties", 1 << 30):
            yield path, "wrong number of keys"
        props = s.get("properties", {})
        for k, item in v.items():
            if "propertyNames" in s:
                yield from errors(k, s["propertyNames"], "%s.%s(key)" % (path, k))
            if k in props:
                yield from errors(item, props[k], "%s.%s" % (path, k))
            elif "additionalProperties" in s:
                if s["additionalProperties"] is False:
                    yield path, "unknown key %r" % k
                else:
                    yield from errors(item, s["additionalProperties"], "%s.%s" % (path, k))
    if "anyOf" in s and not any(not list(errors(v, sub, path)) for sub in s["anyOf"]):
        yield path, "matches none of anyOf: " + "; ".join(
            "%s: %s" % e for sub in s["anyOf"] for e in list(errors(v, sub, path))[:1])
    if "oneOf" in s:
        n = sum(1 for sub in s["oneOf"] if not list(errors(v, sub, path)))
        if n != 1:
            yield path, "matches %d of oneOf (exactly one needed)" % n
    if "not" in s and not list(errors(v, s["not"], path)):
        yield path, "matches a 'not' schema"


def files(args):
    for a in args:
        if os.path.isdir(a):
            for dirpath, _, names in sorted(os.walk(a)):
                for n in sorted(names):
                    if n.endswith((".yaml", ".yml")):
                        yield os.path.join(dirpath, n)
        else:
            yield a


def main(argv):
    expect_invalid = "--expect-invalid" in argv
    args = [a for a in argv if a != "--expect-invalid"]
    exe = build_helper()
    bad = 0
    for f in files(args):
        r = subprocess.run([exe, f], capture_output=True, text=True)
        if r.returncode:
            print("%s: %s" % (f, r.stderr.strip() or "unreadable"))
            bad += 1
            continue
        problems = []
        for i, line in enumerate(r.stdout.splitlines()):
            doc = json.loads(line, object_hook=number)
            problems += ["document %d: %s: %s" % (i + 1, p, m) for p, m in errors(doc, SCHEMA)]
        if expect_invalid and not problems:
            print("%s: valid, but expected to be invalid" % f)
            bad += 1
        elif not expect_invalid and problems:
            print("%s:\n  %s" % (f, "\n  ".join(problems[:10])))
            bad += 1
    print("schema_check: %d file(s) %s" % (bad, "not as expected" if bad else "ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
