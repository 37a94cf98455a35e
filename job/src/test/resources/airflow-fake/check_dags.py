"""Loads the Lethe DAG files with fake_airflow and runs their own code, for AirflowDagsTest.

argv[1]: JSON {"airflow_run_id", "unlearn_conf", "sweep_settings", "reports"} (reports: a folder for
report files). Asserts the DAGs' shape and behaviour (which tasks, schedule, retries, trigger
rules, the exit-code policy of the submit operator, the report checks) and prints, as JSON, the
application arguments the DAGs' plan tasks built, for the test to compare with lethe_args.py's.
"""

import json
import os
import sys

import fake_airflow as fa

fa.install()
given = json.loads(sys.argv[1])

import lethe_sweep_dag  # noqa: E402
import lethe_unlearn_dag  # noqa: E402


def raises(kind, call, *args):
    try:
        call(*args)
    except kind as e:
        return e
    except Exception as e:  # noqa: BLE001
        raise AssertionError("expected %s, got %r" % (kind.__name__, e)) from e
    raise AssertionError("expected %s, nothing raised" % kind.__name__)


def submit_error(code):
    return fa.AirflowException(
        "Cannot execute: spark-submit --class dev.lethe.job.LetheMain lethe-job.jar. Error code is: %d." % code
    )


def write_report(name, report):
    path = os.path.join(given["reports"], name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("a log line\n" + json.dumps(report) + "\n")
    return path


def context(conf=None):
    fa.CONTEXT.clear()
    fa.CONTEXT.update(run_id=given["airflow_run_id"], dag_run=fa.DagRun(conf), ti=fa.TaskInstance())
    return fa.CONTEXT


unlearn_dag, sweep_dag = (next(d for d in fa.DAGS if d.dag_id == i) for i in ("lethe_unlearn", "lethe_sweep"))

# lethe_unlearn: plan -> unlearn -> report
tasks = unlearn_dag.tasks
assert set(tasks) == {"plan", "unlearn", "report"}, tasks
assert unlearn_dag.kwargs["schedule"] is None
submit = tasks["unlearn"]
assert submit.kwargs["java_class"] == "dev.lethe.job.LetheMain"
assert submit.kwargs["application_args"].task is tasks["plan"]
assert submit.kwargs["application_args"].key == "application_args"
assert submit.kwargs["retries"] >= 1
assert tasks["report"].options.get("trigger_rule") == "all_done"
assert [a.key for a in tasks["report"].args] == ["report", "run_id"]
assert tasks["plan"].options.get("multiple_outputs") is True

context(given["unlearn_conf"])
planned_unlearn = tasks["plan"].function()
context({k: v for k, v in given["unlearn_conf"].items() if k != "model"})
assert "model" in str(raises(fa.AirflowFailException, tasks["plan"].function))
context(dict(given["unlearn_conf"], sample=4))
raises(fa.AirflowFailException, tasks["plan"].function)  # forget_ids and sample together

for code, kind in ((2, fa.AirflowFailException), (3, fa.AirflowFailException), (4, fa.AirflowFailException)):
    submit.error = submit_error(code)
    raises(kind, submit.execute, context())
submit.error = submit_error(1)
assert type(raises(fa.AirflowException, submit.execute, context())) is fa.AirflowException
submit.error = fa.AirflowException("spark-submit died without a code")
assert type(raises(fa.AirflowException, submit.execute, context())) is fa.AirflowException

run_id = planned_unlearn["run_id"]
ok = write_report("unlearn-ok.json", {"status": "ok", "command": "unlearn", "run_id": run_id, "version": "v1"})
ctx = context()
assert tasks["report"].function(ok, run_id)["version"] == "v1"
assert ctx["ti"].xcom["report"]["version"] == "v1"
failed = write_report(
    "unlearn-failed.json", {"status": "failed", "command": "unlearn", "exit_code": 3, "error": "goal not reached"}
)
ctx = context()
assert "goal not reached" in str(raises(fa.AirflowFailException, tasks["report"].function, failed, run_id))
assert ctx["ti"].xcom["report"]["exit_code"] == 3, "a failed run's report is in XCom too"
stale = write_report("unlearn-stale.json", {"status": "ok", "command": "unlearn", "run_id": "another"})
raises(fa.AirflowFailException, tasks["report"].function, stale, run_id)
raises(fa.AirflowFailException, tasks["report"].function, os.path.join(given["reports"], "none.json"), run_id)

# lethe_sweep: plan -> sweep -> check
tasks = sweep_dag.tasks
assert set(tasks) == {"plan", "sweep", "check"}, tasks
assert sweep_dag.kwargs["max_active_runs"] == 1
assert sweep_dag.kwargs["catchup"] is False
assert sweep_dag.kwargs["schedule"]
submit = tasks["sweep"]
assert submit.kwargs["java_class"] == "dev.lethe.job.LetheMain"
assert submit.kwargs["application_args"].key == "application_args"
assert tasks["check"].options.get("trigger_rule") == "all_done"

fa.VARIABLES["lethe_sweep"] = given["sweep_settings"]
context()
planned_sweep = tasks["plan"].function()
fa.VARIABLES["lethe_sweep"] = {k: v for k, v in given["sweep_settings"].items() if k != "ledger"}
assert "ledger" in str(raises(fa.AirflowFailException, tasks["plan"].function))

for code, kind in ((2, fa.AirflowFailException), (3, fa.AirflowFailException), (4, fa.AirflowSkipException)):
    submit.error = submit_error(code)
    raises(kind, submit.execute, context())
submit.error = submit_error(1)
assert type(raises(fa.AirflowException, submit.execute, context())) is fa.AirflowException

counts = {"failed": 0, "forgotten": 2, "rejected": 1}
ok = write_report("sweep-ok.json", {"status": "ok", "command": "sweep", "counts": counts, "versions": ["v2"]})
assert tasks["check"].function(ok)["versions"] == ["v2"]
one_failed = write_report(
    "sweep-one-failed.json",
    {"status": "failed", "command": "sweep", "counts": dict(counts, failed=1), "exit_code": 3, "error": "x"},
)
raises(fa.AirflowFailException, tasks["check"].function, one_failed)
counted = write_report("sweep-counted.json", {"status": "ok", "command": "sweep", "counts": dict(counts, failed=1)})
assert "1 requests failed" in str(raises(fa.AirflowFailException, tasks["check"].function, counted))
locked = write_report(
    "sweep-locked.json", {"status": "failed", "command": "sweep", "exit_code": 4, "error": "locked by s-1"}
)
raises(fa.AirflowSkipException, tasks["check"].function, locked)

print(json.dumps({"unlearn": planned_unlearn, "sweep": planned_sweep}))
