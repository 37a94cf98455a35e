"""What both Lethe DAGs share and what needs Airflow: the submit operator and reading a report.

Needs apache-airflow-providers-apache-spark (and, for s3a:// reports,
apache-airflow-providers-amazon). The arguments themselves come from lethe_args.py, which does not
import Airflow, so a test can call it.
"""

import os

import lethe_args
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

# Where the job's shaded jar is on the machine that runs spark-submit (job/target/lethe-job-*.jar,
# or /opt/lethe/lethe-job.jar in the image of deploy/k8s/Dockerfile), and which connections to use.
LETHE_JAR = os.environ.get("LETHE_JAR", "/opt/lethe/lethe-job.jar")
SPARK_CONN_ID = os.environ.get("LETHE_SPARK_CONN_ID", "spark_default")
AWS_CONN_ID = os.environ.get("LETHE_AWS_CONN_ID", "aws_default")


class LetheSubmitOperator(SparkSubmitOperator):
    """spark-submit of the Lethe job that lets Airflow retry only what a retry can fix.

    SparkSubmitHook.submit raises AirflowException("Cannot execute: ... Error code is: N.") when
    spark-submit exits non-zero; this operator reads N (lethe_args.exit_code_of) and turns exit 2
    (usage) and 3 (goal not reached, gate broken) into AirflowFailException, which Airflow never
    retries, and a sweep's exit 4 (another sweep holds the ledger) into a skip. Anything else, exit 1
    or a failure without a code, is re-raised and retried as the task's `retries` say.

    Limits: N is the job's exit code only when the driver runs inside spark-submit (deploy mode
    client, or local) or on Kubernetes in cluster mode (the hook reads the driver pod's exit code
    from spark-submit's log). On YARN or standalone in cluster mode spark-submit does not pass the
    driver's code on, every failure looks like 1 and is retried; rerunning is safe (unlearn with the
    same --run-id, sweep from its ledger), only wasteful.
    """

    def __init__(self, *, lethe_command, **kwargs):
        super().__init__(**kwargs)
        self.lethe_command = lethe_command

    def execute(self, context):
        try:
            return super().execute(context)
        except (AirflowFailException, AirflowSkipException):
            raise
        except AirflowException as e:
            code = lethe_args.exit_code_of(e)
            policy = lethe_args.policy_of(code, self.lethe_command)
            if policy == lethe_args.FAIL:
                raise AirflowFailException(
                    "lethe %s exited %s, which a retry would not change; not retrying. %s"
                    % (self.lethe_command, code, e)
                ) from e
            if policy == lethe_args.SKIP:
                raise AirflowSkipException(
                    "lethe %s exited %s: another sweep holds the ledger's lock; this run did nothing"
                    % (self.lethe_command, code)
                ) from e
            raise


def read_text(uri):
    """The text at a report URI: a local path or file:// URI, or s3a:// / s3:// through S3Hook."""
    scheme, bucket, path = lethe_args.split_uri(uri)
    try:
        if scheme == "file":
            with open(path, encoding="utf-8") as f:
                return f.read()
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        return S3Hook(aws_conn_id=AWS_CONN_ID).read_key(key=path, bucket_name=bucket)
    except (OSError, ValueError) as e:
        raise AirflowFailException(
            "Cannot read the report %s: %s; the job wrote none (it did not start, or died);"
            " see the submit task's log" % (uri, e)
        ) from e


def check_report(context, uri, command, run_id=None):
    """Reads the report at uri, pushes it to XCom (key "report") and fails when it needs a person.

    Runs after the submit task whatever its state (trigger rule all_done), so a failed run's report
    is in XCom too; it fails again in that case, or the DAG run would count as a success.
    """
    report = lethe_args.parse_report(read_text(uri))
    context["ti"].xcom_push(key="report", value=report)
    if command == "sweep" and report.get("exit_code") == lethe_args.EXIT_LOCKED:
        raise AirflowSkipException("lethe sweep did nothing: %s" % report.get("error"))
    problem = lethe_args.report_problem(report, command, run_id)
    if problem:
        raise AirflowFailException(problem)
    return report
