"""A stand-in for the few Airflow names the Lethe DAGs use, for AirflowDagsTest (no Airflow here).

install() puts modules airflow, airflow.sdk, airflow.exceptions and
airflow.providers.apache.spark.operators.spark_submit into sys.modules. They record what a DAG
file declares (tasks, their options, the operator's arguments) and let a test call a task's
function with a context of its choosing. They imitate nothing of Airflow's scheduling, templating or
XCom resolution: a DAG that works with them may still fail in Airflow, but a DAG whose own code is
wrong (a misspelt name, a wrong argument, a wrong policy) fails here.
"""

import sys
import types


class AirflowException(Exception):
    pass


class AirflowFailException(AirflowException):
    pass


class AirflowSkipException(AirflowException):
    pass


CONTEXT = {}
VARIABLES = {}
DAGS = []


class DagRun:
    def __init__(self, conf):
        self.conf = conf


class TaskInstance:
    def __init__(self):
        self.xcom = {}

    def xcom_push(self, key, value):
        self.xcom[key] = value


class XComArg:
    """What calling a @task returns: a reference to the task's output (or one key of it)."""

    def __init__(self, task, key=None):
        self.task = task
        self.key = key

    def __getitem__(self, key):
        return XComArg(self.task, key)

    def __rshift__(self, other):
        self.task.downstream.append(other)
        return other


class _Node:
    def __init__(self, task_id, options):
        self.task_id = task_id
        self.options = options
        self.downstream = []
        DAG.current.tasks[task_id] = self

    def __rshift__(self, other):
        self.downstream.append(other)
        return other


class DecoratedTask(_Node):
    def __init__(self, function, options, args, kwargs):
        super().__init__(function.__name__, options)
        self.function = function
        self.args = args
        self.kwargs = kwargs


def task(**options):
    def decorate(function):
        def call(*args, **kwargs):
            return XComArg(DecoratedTask(function, options, args, kwargs))

        call.function = function
        return call

    return decorate


class DAG:
    current = None

    def __init__(self, dag_id, **kwargs):
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.tasks = {}
        DAGS.append(self)

    def __enter__(self):
        DAG.current = self
        return self

    def __exit__(self, *exc):
        DAG.current = None
        return False


class SparkSubmitOperator(_Node):
    """Records its arguments; execute() raises `error` when a test set one, as the hook would."""

    def __init__(self, task_id, **kwargs):
        super().__init__(task_id, kwargs)
        self.kwargs = kwargs
        self.error = None

    def execute(self, context):
        if self.error is not None:
            raise self.error
        return None


class Variable:
    @staticmethod
    def get(key, deserialize_json=False):
        return VARIABLES[key]


def get_current_context():
    return CONTEXT


def _module(name, **names):
    module = types.ModuleType(name)
    module.__dict__.update(names)
    sys.modules[name] = module
    return module


def install():
    exceptions = dict(
        AirflowException=AirflowException,
        AirflowFailException=AirflowFailException,
        AirflowSkipException=AirflowSkipException,
    )
    _module("airflow", DAG=DAG)
    _module("airflow.exceptions", **exceptions)
    _module("airflow.sdk", DAG=DAG, Variable=Variable, get_current_context=get_current_context, task=task)
    for name in ("airflow.providers", "airflow.providers.apache", "airflow.providers.apache.spark"):
        _module(name)
    _module("airflow.providers.apache.spark.operators")
    _module("airflow.providers.apache.spark.operators.spark_submit", SparkSubmitOperator=SparkSubmitOperator)
