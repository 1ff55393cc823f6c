"""Files, directories and structured datasets as blobs (a port of flytekit's data_types_and_io/file.py)."""

import os
import typing

from flytec import FlyteDirectory, FlyteFile, StructuredDataset, kwtypes, task, workflow


@task
def write_csv(rows: int) -> FlyteFile["csv"]:
    path = os.path.join(os.getcwd(), "data.csv")
    with open(path, "w") as f:
        f.write("id,square\n")
        for i in range(rows):
            f.write("%d,%d\n" % (i, i * i))
    return FlyteFile["csv"](path)


@task
def count_lines(f: FlyteFile["csv"]) -> int:
    with open(f) as fh:
        return sum(1 for _ in fh) - 1


@task
def split(f: FlyteFile["csv"]) -> FlyteDirectory:
    d = os.path.join(os.getcwd(), "parts")
    os.makedirs(d, exist_ok=True)
    with open(f) as fh:
        for i, line in enumerate(fh.readlines()[1:]):
            with open(os.path.join(d, "part-%03d.csv" % i), "w") as out:
                out.write(line)
    return FlyteDirectory(d)


@task
def count_parts(d: FlyteDirectory) -> int:
    return len(os.listdir(d))


@task
def as_dataset(f: FlyteFile["csv"]) -> typing.Annotated[StructuredDataset, kwtypes(id=int, square=int), "csv"]:
    return StructuredDataset(uri=f.path, file_format="csv")


@workflow
def files_wf(rows: int = 5) -> typing.Tuple[int, int]:
    f = write_csv(rows=rows)
    as_dataset(f=f)
    return count_lines(f=f), count_parts(d=split(f=f))
