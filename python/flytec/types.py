"""The type engine: Python annotations to Flyte literal types, and values both ways.

Every type knows four things: its spelling in the spec language (``spec()``), its IDL ``LiteralType``
(``idl()``), how a Python value becomes a value in the spec's YAML (``yaml_value()``) and an IDL ``Literal``
(``to_literal()``), and how a ``Literal`` becomes a Python value again (``from_literal()``).
"""

import dataclasses
import datetime
import enum
import math
import os
import typing

from . import _pb


class FlytecError(Exception):
    """An authoring mistake. The message names the place (file:line) in the user's code."""


class TypeTransformError(FlytecError):
    """A value that does not fit its declared type."""


def _utc(dt):
    if dt.tzinfo is None:
        return dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)


def format_duration(td):
    """A timedelta in the spec's duration syntax: 1h30m, 250ms, 0. Days are written in hours."""
    us = td.days * 86400 * 10**6 + td.seconds * 10**6 + td.microseconds
    if us < 0:
        raise TypeTransformError("negative durations cannot be written: %r" % (td,))
    if us == 0:
        return "0"
    out = []
    for unit, size in (("h", 3600 * 10**6), ("m", 60 * 10**6), ("s", 10**6), ("ms", 1000), ("us", 1)):
        n, us = divmod(us, size)
        if n:
            out.append("%d%s" % (n, unit))
    return "".join(out)


# --- the file-like types --------------------------------------------------------------------------------------

class FlyteFile(os.PathLike):
    """A file (a single-part blob). ``FlyteFile["csv"]`` declares the format. In a task it is a local path."""
    format = ""

    def __init__(self, path):
        self.path = os.fspath(path)

    def __fspath__(self):
        return self.path

    def __eq__(self, other):
        return type(other) is type(self) and other.path == self.path

    def __hash__(self):
        return hash(self.path)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.path)

    def download(self):
        return self.path

    _formats = {}

    def __class_getitem__(cls, fmt):
        key = (cls, str(fmt))
        if key not in FlyteFile._formats:  # one class per format, so FlyteFile["csv"] is FlyteFile["csv"]
            FlyteFile._formats[key] = type("%s[%s]" % (cls.__name__, fmt), (cls,), {"format": str(fmt)})
        return FlyteFile._formats[key]


class FlyteDirectory(FlyteFile):
    """A directory (a multi-part blob). ``FlyteDirectory["csv"]`` declares the format of its files."""


class StructuredDataset:
    """A table stored at a URI (Flyte's structured dataset). Columns are declared with
    ``Annotated[StructuredDataset, kwtypes(a=int)]``; the format with ``StructuredDataset(uri, file_format=)``."""

    def __init__(self, uri=None, file_format="parquet", dataframe=None):
        self.uri = uri
        self.file_format = file_format
        self.dataframe = dataframe

    def __eq__(self, other):
        return isinstance(other, StructuredDataset) and other.uri == self.uri

    def __repr__(self):
        return "StructuredDataset(uri=%r, file_format=%r)" % (self.uri, self.file_format)


def kwtypes(**kwargs):
    """Ordered name -> type pairs, as flytekit's kwtypes."""
    return dict(kwargs)


# --- literal types --------------------------------------------------------------------------------------------

_SIMPLE = {  # spec name -> SimpleType enum name
    "integer": "INTEGER", "float": "FLOAT", "string": "STRING", "boolean": "BOOLEAN", "datetime": "DATETIME",
    "duration": "DURATION", "binary": "BINARY", "struct": "STRUCT", "none": "NONE",
}


class LType:
    """Base of the literal types."""

    def spec(self):
        raise NotImplementedError

    def idl(self):
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self.spec() == other.spec()

    def __hash__(self):
        return hash(str(self.spec()))

    def __repr__(self):
        return "<%s>" % (self.spec(),)

    def check(self, v):
        """Raise TypeTransformError when V is not a value of this type."""
        self.yaml_value(v)


class Simple(LType):
    def __init__(self, name, py=None):
        self.name = name
        self.py = py

    def spec(self):
        return self.name

    def idl(self):
        t = _pb.load().types
        return t.LiteralType(simple=t.SimpleType.Value(_SIMPLE[self.name]))

    def _bad(self, v):
        raise TypeTransformError("%r (a %s) is not a value of type %s" % (v, type(v).__name__, self.name))

    def yaml_value(self, v):
        n = self.name
        if n == "none":
            if v is not None:
                self._bad(v)
            return "null"
        if n == "integer":
            if isinstance(v, bool) or not isinstance(v, int):
                self._bad(v)
            return str(v)
        if n == "float":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self._bad(v)
            f = float(v)
            if math.isnan(f):
                return ".nan"
            if math.isinf(f):
                return ".inf" if f > 0 else "-.inf"
            return repr(f)
        if n == "string":
            if not isinstance(v, str):
                self._bad(v)
            return yaml_quote(v)
        if n == "boolean":
            if not isinstance(v, bool):
                self._bad(v)
            return "true" if v else "false"
        if n == "datetime":
            if not isinstance(v, datetime.datetime):
                self._bad(v)
            return _utc(v).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        if n == "duration":
            if not isinstance(v, datetime.timedelta):
                self._bad(v)
            return format_duration(v)
        if n == "binary":
            if not isinstance(v, (bytes, bytearray)):
                self._bad(v)
            try:
                return yaml_quote(bytes(v).decode("utf-8"))
            except UnicodeDecodeError:
                raise TypeTransformError("a bytes default must be UTF-8 text to be written in a spec")
        if n == "struct":
            if not isinstance(v, dict):
                self._bad(v)
            return _yaml_plain(v)
        self._bad(v)

    def to_literal(self, v):
        m = _pb.load()
        L = m.literals
        n = self.name
        if n == "none":
            if v is not None:
                self._bad(v)
            return L.Literal(scalar=L.Scalar(none_type=L.Void()))
        if n == "binary":
            if not isinstance(v, (bytes, bytearray)):
                self._bad(v)
            return L.Literal(scalar=L.Scalar(binary=L.Binary(value=bytes(v))))
        if n == "struct":
            if not isinstance(v, dict):
                self._bad(v)
            s = m.struct.Struct()
            s.update(v)
            return L.Literal(scalar=L.Scalar(generic=s))
        p = L.Primitive()
        if n == "integer":
            if isinstance(v, bool) or not isinstance(v, int):
                self._bad(v)
            p.integer = v
        elif n == "float":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self._bad(v)
            p.float_value = float(v)
        elif n == "string":
            if not isinstance(v, str):
                self._bad(v)
            p.string_value = v
        elif n == "boolean":
            if not isinstance(v, bool):
                self._bad(v)
            p.boolean = v
        elif n == "datetime":
            if not isinstance(v, datetime.datetime):
                self._bad(v)
            p.datetime.FromDatetime(_utc(v).replace(tzinfo=None))
        elif n == "duration":
            if not isinstance(v, datetime.timedelta):
                self._bad(v)
            p.duration.FromTimedelta(v)
        return L.Literal(scalar=L.Scalar(primitive=p))

    def from_literal(self, lit):
        n = self.name
        if not lit.HasField("scalar"):
            raise TypeTransformError("expected a scalar literal of type %s" % n)
        s = lit.scalar
        if s.HasField("union"):
            return self.from_literal(s.union.value)
        if n == "none":
            return None
        if n == "binary":
            return s.binary.value
        if n == "struct":
            from google.protobuf import json_format
            return json_format.MessageToDict(s.generic)
        if not s.HasField("primitive"):
            if s.HasField("none_type"):
                return None
            raise TypeTransformError("expected a primitive literal of type %s" % n)
        p = s.primitive
        which = p.WhichOneof("value")
        if n == "integer":
            return int(p.integer)
        if n == "float":
            return float(p.integer) if which == "integer" else float(p.float_value)
        if n == "string":
            return p.string_value
        if n == "boolean":
            return bool(p.boolean)
        if n == "datetime":
            return p.datetime.ToDatetime().replace(tzinfo=datetime.timezone.utc)
        if n == "duration":
            return p.duration.ToTimedelta()
        raise TypeTransformError("cannot read a literal of type %s" % n)


class ListT(LType):
    def __init__(self, elem):
        self.elem = elem

    def spec(self):
        e = self.elem.spec()
        return "list<%s>" % e if isinstance(e, str) else {"list": e}

    def idl(self):
        return _pb.load().types.LiteralType(collection_type=self.elem.idl())

    def yaml_value(self, v):
        if not isinstance(v, (list, tuple)):
            raise TypeTransformError("%r is not a list (type %s)" % (v, _specstr(self)))
        return "[" + ", ".join(self.elem.yaml_value(x) for x in v) + "]"

    def to_literal(self, v):
        L = _pb.load().literals
        if not isinstance(v, (list, tuple)):
            raise TypeTransformError("%r is not a list (type %s)" % (v, _specstr(self)))
        return L.Literal(collection=L.LiteralCollection(literals=[self.elem.to_literal(x) for x in v]))

    def from_literal(self, lit):
        if lit.HasField("scalar") and lit.scalar.HasField("union"):
            return self.from_literal(lit.scalar.union.value)
        return [self.elem.from_literal(x) for x in lit.collection.literals]


class MapT(LType):
    def __init__(self, value):
        self.value = value

    def spec(self):
        e = self.value.spec()
        return "map<%s>" % e if isinstance(e, str) else {"map": e}

    def idl(self):
        return _pb.load().types.LiteralType(map_value_type=self.value.idl())

    def _check(self, v):
        if not isinstance(v, dict) or not all(isinstance(k, str) for k in v):
            raise TypeTransformError("%r is not a dict with string keys (type %s)" % (v, _specstr(self)))

    def yaml_value(self, v):
        self._check(v)
        return "{" + ", ".join("%s: %s" % (yaml_quote(k), self.value.yaml_value(v[k])) for k in sorted(v)) + "}"

    def to_literal(self, v):
        L = _pb.load().literals
        self._check(v)
        lit = L.Literal(map=L.LiteralMap())
        for k in sorted(v):
            lit.map.literals[k].CopyFrom(self.value.to_literal(v[k]))
        return lit

    def from_literal(self, lit):
        if lit.HasField("scalar") and lit.scalar.HasField("union"):
            return self.from_literal(lit.scalar.union.value)
        return {k: self.value.from_literal(x) for k, x in sorted(lit.map.literals.items())}


class UnionT(LType):
    def __init__(self, variants):
        self.variants = variants

    def optional_of(self):
        rest = [v for v in self.variants if not (isinstance(v, Simple) and v.name == "none")]
        return rest[0] if len(rest) == 1 and len(self.variants) == 2 else None

    def spec(self):
        o = self.optional_of()
        if o is not None:
            s = o.spec()
            return "optional<%s>" % s if isinstance(s, str) else {"optional": s}
        specs = [v.spec() for v in self.variants]
        if all(isinstance(s, str) for s in specs):
            return "union<%s>" % ", ".join(specs)
        return {"union": specs}

    def idl(self):
        t = _pb.load().types
        return t.LiteralType(union_type=t.UnionType(variants=[v.idl() for v in self.variants]))

    def _pick(self, v):
        if v is None:
            for x in self.variants:
                if isinstance(x, Simple) and x.name == "none":
                    return x
        errors = []
        for x in self.variants:
            if isinstance(x, Simple) and x.name == "none":
                continue
            try:
                x.check(v)
                return x
            except TypeTransformError as e:
                errors.append(str(e))
        raise TypeTransformError("%r fits no variant of %s" % (v, _specstr(self)))

    def yaml_value(self, v):
        return self._pick(v).yaml_value(v)

    def to_literal(self, v):
        L = _pb.load().literals
        x = self._pick(v)
        return L.Literal(scalar=L.Scalar(union=L.Union(value=x.to_literal(v), type=x.idl())))

    def from_literal(self, lit):
        if lit.HasField("scalar") and lit.scalar.HasField("union"):
            inner = lit.scalar.union.value
            t = lit.scalar.union.type
            for x in self.variants:
                if x.idl() == t:
                    return x.from_literal(inner)
            lit = inner
        if lit.HasField("scalar") and lit.scalar.HasField("none_type"):
            return None
        for x in self.variants:
            if isinstance(x, Simple) and x.name == "none":
                continue
            try:
                return x.from_literal(lit)
            except (TypeTransformError, ValueError):
                continue
        raise TypeTransformError("the literal fits no variant of %s" % _specstr(self))


class EnumT(LType):
    def __init__(self, py):
        self.py = py
        self.values = [m.value for m in py]

    def spec(self):
        return {"enum": list(self.values)}

    def idl(self):
        t = _pb.load().types
        return t.LiteralType(enum_type=t.EnumType(values=self.values))

    def _value(self, v):
        if isinstance(v, self.py):
            return v.value
        if isinstance(v, str) and v in self.values:
            return v
        raise TypeTransformError("%r is not a member of %s (values %s)" % (v, self.py.__name__, self.values))

    def yaml_value(self, v):
        return yaml_quote(self._value(v))

    def to_literal(self, v):
        L = _pb.load().literals
        return L.Literal(scalar=L.Scalar(primitive=L.Primitive(string_value=self._value(v))))

    def from_literal(self, lit):
        s = lit.scalar.union.value.scalar if lit.scalar.HasField("union") else lit.scalar
        return self.py(s.primitive.string_value)


class DataclassT(LType):
    """A dataclass is a struct (google.protobuf.Struct) whose fields are checked and converted by their types."""

    def __init__(self, py, fields):
        self.py = py
        self.fields = fields  # name -> LType

    def spec(self):
        return "struct"

    def idl(self):
        return Simple("struct").idl()

    def _to_json(self, v):
        if not isinstance(v, self.py):
            raise TypeTransformError("%r is not a %s" % (v, self.py.__name__))
        return {name: _jsonable(t, getattr(v, name)) for name, t in self.fields.items()}

    def yaml_value(self, v):
        return _yaml_plain(self._to_json(v))

    def to_literal(self, v):
        return Simple("struct").to_literal(self._to_json(v))

    def from_json(self, d):
        kw = {}
        for name, t in self.fields.items():
            if name in d:
                kw[name] = _from_json(t, d[name])
        return self.py(**kw)

    def from_literal(self, lit):
        return self.from_json(Simple("struct").from_literal(lit))


def _jsonable(t, v):
    """A field value as JSON (the struct a dataclass is sent as)."""
    if isinstance(t, DataclassT):
        return t._to_json(v)
    if isinstance(t, ListT):
        return [_jsonable(t.elem, x) for x in v]
    if isinstance(t, MapT):
        return {k: _jsonable(t.value, x) for k, x in v.items()}
    if isinstance(t, UnionT):
        return None if v is None else _jsonable(t._pick(v), v)
    if isinstance(t, EnumT):
        return t._value(v)
    if isinstance(t, BlobT):
        return os.fspath(v)
    if isinstance(t, Simple):
        t.check(v)
        if t.name == "datetime":
            return _utc(v).isoformat()
        if t.name == "duration":
            return v.total_seconds()
        if t.name == "binary":
            return bytes(v).decode("latin-1")
        return v
    raise TypeTransformError("a %s cannot be a dataclass field" % _specstr(t))


def _from_json(t, v):
    if v is None:
        return None
    if isinstance(t, DataclassT):
        return t.from_json(v)
    if isinstance(t, ListT):
        return [_from_json(t.elem, x) for x in v]
    if isinstance(t, MapT):
        return {k: _from_json(t.value, x) for k, x in v.items()}
    if isinstance(t, UnionT):
        for x in t.variants:
            if not (isinstance(x, Simple) and x.name == "none"):
                try:
                    return _from_json(x, v)
                except (TypeError, ValueError, TypeTransformError):
                    continue
        return v
    if isinstance(t, EnumT):
        return t.py(v)
    if isinstance(t, BlobT):
        return t.py(v)
    if isinstance(t, Simple):
        if t.name == "integer":
            if float(v) != int(v):
                raise TypeTransformError("%r is not an integer" % (v,))
            return int(v)
        if t.name == "float":
            return float(v)
        if t.name == "datetime":
            return datetime.datetime.fromisoformat(v)
        if t.name == "duration":
            return datetime.timedelta(seconds=v)
        if t.name == "binary":
            return v.encode("latin-1")
    return v


class BlobT(LType):
    def __init__(self, py, multipart):
        self.py = py
        self.multipart = multipart

    def spec(self):
        base = "directory" if self.multipart else "file"
        return "%s<%s>" % (base, self.py.format) if self.py.format else base

    def idl(self):
        t = _pb.load().types
        dim = t.BlobType.MULTIPART if self.multipart else t.BlobType.SINGLE
        return t.LiteralType(blob=t.BlobType(format=self.py.format, dimensionality=dim))

    def _uri(self, v):
        if isinstance(v, (str, os.PathLike)):
            return os.fspath(v)
        raise TypeTransformError("%r is not a path (type %s)" % (v, self.spec()))

    def yaml_value(self, v):
        return yaml_quote(self._uri(v))

    def to_literal(self, v):
        L = _pb.load().literals
        t = self.idl()
        return L.Literal(scalar=L.Scalar(blob=L.Blob(metadata=L.BlobMetadata(type=t.blob), uri=self._uri(v))))

    def from_literal(self, lit):
        s = lit.scalar.union.value.scalar if lit.scalar.HasField("union") else lit.scalar
        return self.py(s.blob.uri)


class DatasetT(LType):
    def __init__(self, fmt, columns):
        self.format = fmt
        self.columns = columns  # name -> LType

    def spec(self):
        if not self.columns:
            return "dataset<%s>" % self.format if self.format else "dataset"
        d = {"columns": {k: v.spec() for k, v in self.columns.items()}}
        if self.format:
            d = {"format": self.format, "columns": d["columns"]}
        return {"dataset": d}

    def idl(self):
        t = _pb.load().types
        cols = [t.StructuredDatasetType.DatasetColumn(name=k, literal_type=v.idl()) for k, v in self.columns.items()]
        return t.LiteralType(structured_dataset_type=t.StructuredDatasetType(columns=cols, format=self.format))

    def _uri(self, v):
        if isinstance(v, StructuredDataset) and v.uri:
            return v.uri
        if isinstance(v, str):
            return v
        raise TypeTransformError("%r is not a StructuredDataset with a uri" % (v,))

    def yaml_value(self, v):
        return yaml_quote(self._uri(v))

    def to_literal(self, v):
        L = _pb.load().literals
        md = L.StructuredDatasetMetadata(structured_dataset_type=self.idl().structured_dataset_type)
        return L.Literal(scalar=L.Scalar(structured_dataset=L.StructuredDataset(uri=self._uri(v), metadata=md)))

    def from_literal(self, lit):
        s = lit.scalar.union.value.scalar if lit.scalar.HasField("union") else lit.scalar
        return StructuredDataset(uri=s.structured_dataset.uri, file_format=self.format or "parquet")


def _specstr(t):
    s = t.spec()
    return s if isinstance(s, str) else repr(s)


# --- annotations to types -------------------------------------------------------------------------------------

NONE = Simple("none")


def to_ltype(ann):
    """The literal type of a Python annotation; raises TypeError with a short reason when it has none."""
    if ann is int:
        return Simple("integer")
    if ann is float:
        return Simple("float")
    if ann is str:
        return Simple("string")
    if ann is bool:
        return Simple("boolean")
    if ann is datetime.datetime:
        return Simple("datetime")
    if ann is datetime.timedelta:
        return Simple("duration")
    if ann is bytes:
        return Simple("binary")
    if ann is type(None) or ann is None:
        return NONE
    if ann is dict:
        return Simple("struct")
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        base = args[0]
        if isinstance(base, type) and issubclass(base, StructuredDataset):
            cols = {}
            fmt = ""
            for extra in args[1:]:
                if isinstance(extra, dict):
                    cols.update({k: to_ltype(v) for k, v in extra.items()})
                elif isinstance(extra, str):
                    fmt = extra
            return DatasetT(fmt, cols)
        return to_ltype(base)
    if origin in (list, typing.List):
        if len(args) != 1:
            raise TypeError("List needs its element type: List[int]")
        return ListT(to_ltype(args[0]))
    if origin in (dict, typing.Dict):
        if len(args) != 2:
            raise TypeError("Dict needs its key and value types: Dict[str, int]")
        if args[0] is not str:
            raise TypeError("Dict keys must be str (Flyte maps have string keys), not %s" % _name(args[0]))
        return MapT(to_ltype(args[1]))
    if origin is typing.Union or (hasattr(__import__("types"), "UnionType")
                                  and isinstance(ann, __import__("types").UnionType)):
        vs = []
        for a in args:
            t = to_ltype(a)
            if t not in vs:
                vs.append(t)
        # None last, as Optional[T] reads
        vs.sort(key=lambda t: isinstance(t, Simple) and t.name == "none")
        return UnionT(vs)
    if isinstance(ann, type):
        if issubclass(ann, enum.Enum):
            if not all(isinstance(m.value, str) for m in ann):
                raise TypeError("Enum %s must have string values (Flyte enums are strings)" % ann.__name__)
            return EnumT(ann)
        if dataclasses.is_dataclass(ann):
            hints = typing.get_type_hints(ann, include_extras=True)
            fields = {}
            for f in dataclasses.fields(ann):
                try:
                    fields[f.name] = to_ltype(hints[f.name])
                except TypeError as e:
                    raise TypeError("dataclass %s, field '%s': %s" % (ann.__name__, f.name, e))
            return DataclassT(ann, fields)
        if issubclass(ann, FlyteDirectory):
            return BlobT(ann, True)
        if issubclass(ann, FlyteFile):
            return BlobT(ann, False)
        if issubclass(ann, StructuredDataset):
            return DatasetT("", {})
    raise TypeError("unsupported type annotation %s" % _name(ann))


def _name(ann):
    return getattr(ann, "__name__", None) or repr(ann)


# --- YAML scalars ---------------------------------------------------------------------------------------------

def yaml_quote(s):
    """A YAML double-quoted scalar (escapes in the common JSON/YAML subset)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7f or 0x80 <= o < 0xa0 or o in (0x2028, 0x2029, 0xfeff):
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _yaml_plain(v):
    """Untyped JSON-like data as YAML flow text (structs)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return Simple("float").yaml_value(v)
    if isinstance(v, str):
        return yaml_quote(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_plain(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (yaml_quote(str(k)), _yaml_plain(v[k])) for k in sorted(v)) + "}"
    raise TypeTransformError("%r cannot be written as a struct value" % (v,))
