"""A typed pipeline: dataclasses, enums, lists, dicts, optionals, datetimes and named outputs (a port of
flytekit's basics "named outputs" and data_types_and_io "dataclass" examples)."""

import datetime
import enum
import typing
from dataclasses import dataclass

from flytec import task, workflow


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


@dataclass
class Point:
    x: float
    y: float
    label: str = ""


@dataclass
class Summary:
    count: int
    centroid: Point
    tags: typing.List[str]


Stats = typing.NamedTuple("Stats", [("mean", float), ("spread", float)])


@task
def make_points(n: int, start: datetime.datetime, step: datetime.timedelta) -> typing.List[Point]:
    """Makes n points labelled with their times."""
    return [Point(x=float(i), y=float(i * i), label=(start + i * step).strftime("%H:%M")) for i in range(n)]


@task
def stats(points: typing.List[Point]) -> Stats:
    """Mean and spread of the y values."""
    ys = [p.y for p in points]
    mean = sum(ys) / len(ys)
    return Stats(mean=mean, spread=max(ys) - min(ys))


@task
def summarize(points: typing.List[Point], color: Color, note: typing.Optional[str] = None) -> Summary:
    n = len(points)
    c = Point(x=sum(p.x for p in points) / n, y=sum(p.y for p in points) / n, label=color.value)
    return Summary(count=n, centroid=c, tags=[color.value] + ([note] if note else []))


@task
def report(summary: Summary, mean: float, weights: typing.Dict[str, float]) -> str:
    w = sum(weights.values())
    return "%d points, centroid (%.1f, %.1f) %s, mean %.2f, weight %.1f" % (
        summary.count, summary.centroid.x, summary.centroid.y, summary.centroid.label, mean, w)


@workflow
def pipeline(n: int = 4, color: Color = Color.GREEN,
             start: datetime.datetime = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
             ) -> typing.Tuple[str, float]:
    pts = make_points(n=n, start=start, step=datetime.timedelta(minutes=15))
    s = stats(points=pts)
    summary = summarize(points=pts, color=color)
    return report(summary=summary, mean=s.mean, weights={"a": 1.5, "b": 2.5}), s.spread
