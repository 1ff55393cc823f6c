"""flytec: write Flyte workflows in Python with nothing but Python 3 (and python3-protobuf to package and run).

The authoring surface follows flytekit's, so porting a flytekit workflow means changing its imports:

    from flytec import task, workflow

    @task
    def greet(name: str) -> str:
        return "Hello, %s!" % name

    @workflow
    def hello(name: str = "world") -> str:
        return greet(name=name)

`python3 -m flytec emit MODULE_OR_DIR -o specs/` writes YAML specs, `python3 -m flytec package ... -o pkg.tgz` a
`pyflyte package` archive, and `python3 -m flytec.execute` runs a task (the pyflyte-execute contract).
See docs/python.md.
"""

from .core import (task, workflow, Resources, ContainerTask, conditional, map_task, LaunchPlan, CronSchedule,
                   FixedRate, approve, wait_for_input, sleep, WorkflowFailurePolicy, PythonFunctionTask, Workflow,
                   Promise)
from .types import FlyteFile, FlyteDirectory, StructuredDataset, kwtypes, FlytecError, TypeTransformError

__version__ = "0.1.0"

__all__ = ["task", "workflow", "Resources", "ContainerTask", "conditional", "map_task", "LaunchPlan",
           "CronSchedule", "FixedRate", "approve", "wait_for_input", "sleep", "WorkflowFailurePolicy",
           "PythonFunctionTask", "Workflow", "Promise", "FlyteFile", "FlyteDirectory", "StructuredDataset",
           "kwtypes", "FlytecError", "TypeTransformError"]
