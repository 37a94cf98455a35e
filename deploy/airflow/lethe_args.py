"""Builds the command lines of Lethe's Spark job for Airflow, without importing Airflow.

The DAGs in this folder (lethe_unlearn_dag.py, lethe_sweep_dag.py) call these functions with the
values of one DAG run; job/src/test/java/dev/lethe/job/deploy/AirflowDagsTest.java calls them with
concrete values and runs exactly the lists they return, plus --dry-run, against the real job. So
every option name here is checked against the job's command line, and a DAG that builds its
arguments any other way is not.

Exit codes of the job (docs/DEPLOY.md): 0 ok, 1 failed (a retry may help), 2 usage error,
3 goal not reached or publish gate broken (a retry will not help), 4 another sweep holds the
ledger's lock.
"""

import hashlib
import json
import re

MAIN_CLASS = "dev.lethe.job.LetheMain"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_REACHED = 3
EXIT_LOCKED = 4

# What an Airflow task does with each exit code: only a plain failure is worth a retry.
RETRY = "retry"
FAIL = "fail"
SKIP = "skip"

_RUN_ID_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")
_RUN_ID_MAX = 64


def lethe_run_id(airflow_run_id):
    """A valid --run-id (1 to 64 of [A-Za-z0-9._-]) derived from an Airflow run id, deterministically.

    Airflow run ids ("manual__2026-12-01T10:00:00.123456+00:00") hold ':' and '+', which the job
    refuses. The same Airflow run always gives the same Lethe run id, so a retried task reruns
    `unlearn --run-id X`, which prints the version an earlier try published instead of publishing
    another. When a character had to be replaced, or the id is too long, 8 hex digits of the
    original's sha256 are appended, so two Airflow run ids never map to the same Lethe run id.
    """
    text = str(airflow_run_id)
    if not text:
        raise ValueError("Cannot derive a Lethe run id from an empty Airflow run id")
    cleaned = _RUN_ID_ALLOWED.sub("-", text)
    if cleaned == text and len(text) <= _RUN_ID_MAX:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return cleaned[: _RUN_ID_MAX - 9] + "-" + digest


def _option(args, name, value):
    if value is not None:
        args += [name, str(value)]


def _extra(args, extra):
    if isinstance(extra, str):
        raise ValueError("extra must be a list of arguments, not one string: %r" % extra)
    args += [str(a) for a in (extra or [])]


def unlearn_args(
    model,
    forget,
    out,
    run_id,
    forget_ids=None,
    sample=None,
    test=None,
    held_out_from_test=None,
    max_test_drop=None,
    report=None,
    extra=None,
):
    """The application arguments of one `lethe unlearn` (everything after the jar).

    model, forget, out, test, report: URIs (s3a://, file:// or paths the driver can read).
    forget_ids (a list of sample ids, or one comma-separated string) or sample (a count of rows
    drawn at random): exactly one. run_id: the Lethe run id (see lethe_run_id). extra: more
    options, as a list, appended unchanged.
    """
    if (forget_ids is None) == (sample is None):
        raise ValueError("Give exactly one of forget_ids and sample (got %r, %r)" % (forget_ids, sample))
    args = ["unlearn", "--model", str(model), "--forget", str(forget), "--out", str(out)]
    if forget_ids is not None:
        ids = forget_ids.split(",") if isinstance(forget_ids, str) else list(forget_ids)
        ids = [str(i).strip() for i in ids]
        if not ids or any(not i for i in ids):
            raise ValueError("forget_ids must name at least one sample id, none empty: %r" % (forget_ids,))
        args += ["--forget-ids", ",".join(ids)]
    else:
        args += ["--sample", str(int(sample))]
    _option(args, "--test", test)
    _option(args, "--held-out-from-test", held_out_from_test)
    _option(args, "--max-test-drop", max_test_drop)
    args += ["--run-id", str(run_id)]
    _option(args, "--report", report)
    _extra(args, extra)
    return args


def sweep_args(
    requests,
    ledger,
    dataset,
    model,
    out,
    subjects=None,
    test=None,
    held_out_from_test=None,
    goal=None,
    max_per_run=None,
    max_test_drop=None,
    retain=None,
    max_retain_drop=None,
    report=None,
    extra=None,
):
    """The application arguments of one `lethe sweep` (everything after the jar)."""
    args = [
        "sweep",
        "--requests",
        str(requests),
        "--ledger",
        str(ledger),
        "--dataset",
        str(dataset),
        "--model",
        str(model),
        "--out",
        str(out),
    ]
    _option(args, "--subjects", subjects)
    _option(args, "--test", test)
    _option(args, "--held-out-from-test", held_out_from_test)
    _option(args, "--goal", goal)
    _option(args, "--max-per-run", max_per_run)
    _option(args, "--max-test-drop", max_test_drop)
    _option(args, "--retain", retain)
    _option(args, "--max-retain-drop", max_retain_drop)
    _option(args, "--report", report)
    _extra(args, extra)
    return args


def spark_conf(s3_endpoint=None, s3_path_style=False, extra=None):
    """The --conf settings of spark-submit (SparkSubmitOperator's conf).

    Mirrors conf/lethe-defaults.conf (which deploy/bin/lethe-submit passes): executors cap their
    direct memory. Credentials never go here: s3a's default provider chain reads
    AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment, or a web identity / instance
    profile (docs/DEPLOY.md).
    """
    conf = {"spark.executor.extraJavaOptions": "-XX:MaxDirectMemorySize=512m"}
    if s3_endpoint:
        conf["spark.hadoop.fs.s3a.endpoint"] = str(s3_endpoint)
    if s3_path_style:
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
    for key, value in (extra or {}).items():
        if re.search(r"secret|password|token|access.?key", key, re.IGNORECASE):
            raise ValueError("Refusing to put %s in spark-submit's --conf: give credentials through the environment" % key)
        conf[str(key)] = str(value)
    return conf


_SUBMIT_CODE = re.compile(r"Error code is: (\d+)")
_K8S_CODE = re.compile(r"Kubernetes spark exit code is: (\d+)")


def exit_code_of(message):
    """The job's exit code in the text of the AirflowException SparkSubmitHook raised, or None.

    The hook raises "Cannot execute: <command>. Error code is: N." when spark-submit exits with N,
    and on Kubernetes adds "Kubernetes spark exit code is: M" (the driver pod's code, parsed from
    spark-submit's log). spark-submit's own code is the job's only when the driver runs inside it
    (deploy mode client, or local); in cluster mode on YARN or standalone it is not (docs/DEPLOY.md).
    """
    text = str(message)
    k8s = _K8S_CODE.search(text)
    if k8s and int(k8s.group(1)) != 0:
        return int(k8s.group(1))
    submit = _SUBMIT_CODE.search(text)
    if submit:
        return int(submit.group(1))
    return None


def policy_of(exit_code, command):
    """RETRY, FAIL or SKIP for an exit code of `command` ("unlearn" or "sweep").

    Only exit 1 (or a failure whose code is unknown) is retried: a usage error (2) or a missed goal
    or broken gate (3) fails the same way again. A sweep refused because another holds the ledger's
    lock (4) did nothing; the next scheduled sweep picks the requests up, so it is skipped.
    """
    if exit_code in (EXIT_USAGE, EXIT_NOT_REACHED):
        return FAIL
    if exit_code == EXIT_LOCKED:
        return SKIP if command == "sweep" else FAIL
    return RETRY


def parse_report(text):
    """The report's JSON object (the job's last stdout line, which --report writes)."""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("The report is empty")
    report = json.loads(lines[-1])
    if not isinstance(report, dict):
        raise ValueError("The report is not a JSON object: %r" % (report,))
    return report


def report_problem(report, command, run_id=None):
    """Why a report needs a person's attention (a sentence), or None when it does not.

    A report of another command, or of another run of unlearn, is stale: this run wrote none. A
    failed status or, for a sweep, a failed request (counts.failed > 0) needs a person.
    """
    if report.get("command") not in (None, command):
        return "The report is of command %r, not %r: it is stale" % (report.get("command"), command)
    if run_id is not None and report.get("run_id") not in (None, run_id):
        return "The report is of run %r, not %r: it is stale" % (report.get("run_id"), run_id)
    if report.get("status") != "ok":
        return "lethe %s failed (exit %s): %s" % (command, report.get("exit_code"), report.get("error"))
    failed = (report.get("counts") or {}).get("failed", 0)
    if command == "sweep" and failed:
        return (
            "lethe sweep recorded %d requests failed (their run missed its goal or broke a publish gate);"
            " see the ledger's reasons and decide" % failed
        )
    return None


def split_uri(uri):
    """(scheme, bucket-or-None, path) of s3a://bucket/key, s3://bucket/key, file:///p or /p."""
    text = str(uri)
    match = re.match(r"^(s3a?)://([^/]+)/(.*)$", text)
    if match:
        return match.group(1), match.group(2), match.group(3)
    if text.startswith("file://"):
        return "file", None, text[len("file://"):]
    if "://" in text:
        raise ValueError("Cannot read %s: the scheme is not one of s3a, s3, file" % text)
    return "file", None, text
