"""Type mapping both ways: annotations to spec types and IDL types, values to YAML and literals and back."""

import dataclasses
import datetime
import enum
import typing
import unittest

from tests.helpers import needs_pb, temp_module
from flytec import FlyteFile, FlyteDirectory, StructuredDataset, kwtypes, FlytecError
from flytec.types import to_ltype, format_duration, TypeTransformError


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Inner:
    a: int
    b: typing.List[str]


@dataclasses.dataclass
class Outer:
    name: str
    inner: Inner
    when: datetime.datetime
    scores: typing.Dict[str, float]
    color: Color
    maybe: typing.Optional[int] = None


UTC = datetime.timezone.utc
CASES = [  # annotation, spec type, a value, its YAML text
    (int, "integer", -42, "-42"),
    (float, "float", 2.5, "2.5"),
    (str, "string", 'say "hi"\n', '"say \\"hi\\"\\n"'),
    (bool, "boolean", True, "true"),
    (datetime.datetime, "datetime", datetime.datetime(2024, 5, 1, 14, 0, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2))), "2024-05-01T12:00:00Z"),
    (datetime.timedelta, "duration", datetime.timedelta(hours=1, minutes=30, milliseconds=250), "1h30m250ms"),
    (bytes, "binary", b"abc", '"abc"'),
    (typing.List[int], "list<integer>", [1, 2], "[1, 2]"),
    (typing.Dict[str, typing.List[float]], "map<list<float>>", {"b": [1.0], "a": []}, '{"a": [], "b": [1.0]}'),
    (typing.Optional[str], "optional<string>", None, "null"),
    (typing.Union[int, str], "union<integer, string>", "x", '"x"'),
    (typing.List[typing.Optional[int]], "list<optional<integer>>", [1, None], "[1, null]"),
    (Color, {"enum": ["red", "blue"]}, Color.BLUE, '"blue"'),
    (dict, "struct", {"k": [1, "v"]}, '{"k": [1, "v"]}'),
    (FlyteFile, "file", FlyteFile("/d/x"), '"/d/x"'),
    (FlyteFile["csv"], "file<csv>", "/d/x.csv", '"/d/x.csv"'),
    (FlyteDirectory, "directory", FlyteDirectory("/d"), '"/d"'),
    (StructuredDataset, "dataset", StructuredDataset(uri="/t"), '"/t"'),
    (typing.Annotated[StructuredDataset, kwtypes(id=int), "parquet"],
     {"dataset": {"format": "parquet", "columns": {"id": "integer"}}}, StructuredDataset(uri="/t"), '"/t"'),
]


class SpecTypes(unittest.TestCase):
    def test_annotations_to_spec_types(self):
        for ann, spec, _v, _y in CASES:
            with self.subTest(ann=ann):
                self.assertEqual(to_ltype(ann).spec(), spec)

    def test_values_to_yaml(self):
        for ann, _spec, v, y in CASES:
            with self.subTest(ann=ann):
                self.assertEqual(to_ltype(ann).yaml_value(v), y)

    def test_dataclass_is_a_checked_struct(self):
        t = to_ltype(Outer)
        self.assertEqual(t.spec(), "struct")
        v = Outer("n", Inner(1, ["x"]), datetime.datetime(2024, 1, 2, tzinfo=UTC), {"s": 0.5}, Color.RED)
        self.assertIn('"inner": {"a": 1, "b": ["x"]}', t.yaml_value(v))
        with self.assertRaises(TypeTransformError):
            t.yaml_value(Inner(1, []))

    def test_values_that_do_not_fit(self):
        for ann, bad in ((int, "3"), (int, True), (float, "x"), (bool, 1), (typing.List[int], [1, "a"]),
                         (typing.Dict[str, int], {1: 2}), (Color, "green"), (datetime.timedelta, 3)):
            with self.subTest(ann=ann, bad=bad):
                with self.assertRaises(TypeTransformError):
                    to_ltype(ann).yaml_value(bad)

    def test_unsupported_annotations(self):
        for ann in (set, typing.Dict[int, str], typing.List, complex, typing.Tuple[int, int]):
            with self.subTest(ann=ann):
                with self.assertRaises(TypeError):
                    to_ltype(ann)

    def test_unsupported_annotation_names_function_parameter_and_line(self):
        with self.assertRaises(FlytecError) as cm:
            temp_module(self, """\
                import typing
                from flytec import task

                @task
                def bad(a: int,
                        b: typing.Set[int]) -> int:
                    return a
                """)
        msg = str(cm.exception)
        self.assertRegex(msg, r"tmod_\d+_\d+\.py:6: task 'bad', parameter 'b': unsupported type annotation")

    def test_unsupported_return_annotation(self):
        with self.assertRaises(FlytecError) as cm:
            temp_module(self, """\
                from flytec import task

                @task
                def bad(a: int) -> complex:
                    return a
                """)
        self.assertRegex(str(cm.exception), r"\.py:4: task 'bad', the return annotation: unsupported")

    def test_missing_annotation(self):
        with self.assertRaises(FlytecError) as cm:
            temp_module(self, """\
                from flytec import task

                @task
                def bad(a) -> int:
                    return 1
                """)
        self.assertRegex(str(cm.exception), r"\.py:4: task 'bad', parameter 'a': has no type annotation")

    def test_durations(self):
        self.assertEqual(format_duration(datetime.timedelta(0)), "0")
        self.assertEqual(format_duration(datetime.timedelta(days=2, seconds=5)), "48h5s")
        self.assertEqual(format_duration(datetime.timedelta(microseconds=1500)), "1ms500us")


@needs_pb
class Literals(unittest.TestCase):
    def test_round_trip(self):
        for ann, _spec, v, _y in CASES:
            with self.subTest(ann=ann):
                t = to_ltype(ann)
                lit = t.to_literal(v)
                back = t.from_literal(lit)
                if isinstance(v, datetime.datetime):
                    self.assertEqual(back, v.astimezone(UTC))
                elif ann is FlyteFile["csv"]:
                    self.assertEqual(back.path, v)
                elif isinstance(v, (FlyteFile, StructuredDataset)):
                    self.assertEqual(getattr(back, "path", getattr(back, "uri", None)),
                                     getattr(v, "path", getattr(v, "uri", None)))
                else:
                    self.assertEqual(back, v)

    def test_dataclass_round_trip(self):
        t = to_ltype(Outer)
        v = Outer("n", Inner(1, ["x"]), datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), {"s": 0.5},
                  Color.RED, 7)
        self.assertEqual(t.from_literal(t.to_literal(v)), v)

    def test_idl_types(self):
        from flytec import _pb
        T = _pb.load().types
        self.assertEqual(to_ltype(typing.List[int]).idl(),
                         T.LiteralType(collection_type=T.LiteralType(simple=T.SimpleType.INTEGER)))
        u = to_ltype(typing.Optional[float]).idl()
        self.assertEqual([v.simple for v in u.union_type.variants], [T.SimpleType.FLOAT, T.SimpleType.NONE])
        b = to_ltype(FlyteDirectory["csv"]).idl()
        self.assertEqual((b.blob.format, b.blob.dimensionality), ("csv", T.BlobType.MULTIPART))

    def test_union_literals_carry_their_variant(self):
        t = to_ltype(typing.Union[int, str])
        lit = t.to_literal("7")
        self.assertEqual(lit.scalar.union.value.scalar.primitive.string_value, "7")
        self.assertEqual(t.from_literal(lit), "7")
        self.assertEqual(t.from_literal(t.to_literal(7)), 7)

    def test_int_literal_read_as_float(self):
        self.assertEqual(to_ltype(float).from_literal(to_ltype(int).to_literal(3)), 3.0)


if __name__ == "__main__":
    unittest.main()
