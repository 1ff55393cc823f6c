"""A raw container task next to Python tasks (a port of flytekit's customizing_dependencies/raw_container.py)."""

from flytec import ContainerTask, kwtypes, task, workflow

calculate_area = ContainerTask(
    name="raw_containers.calculate_area",
    image="debian:12-slim",
    inputs=kwtypes(a=float, b=float),
    outputs=kwtypes(area=float),
    command=["sh", "-c", 'echo "$1 * $2" | bc -l > "$FLYTE_OUTPUT_DIR/area"', "area", "{{.inputs.a}}",
             "{{.inputs.b}}"],
)


@task
def describe(area: float) -> str:
    return "the area is %.2f" % area


@workflow
def area_wf(a: float = 2.0, b: float = 3.5) -> str:
    return describe(area=calculate_area(a=a, b=b))
