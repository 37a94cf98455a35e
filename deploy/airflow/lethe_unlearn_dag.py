"""Airflow DAG `lethe_unlearn`: one `lethe unlearn` per DAG run, triggered with its parameters.

Trigger with a conf such as
    {"model": "s3a://models/fashion/model.pt", "forget": "s3a://data/fashion/train",
     "forget_ids": ["train/17", "train/4023"],            # or "sample": 16
     "out": "s3a://models/unlearned", "report": "s3a://ops/lethe/reports/unlearn-r-001.json",
     "test": "s3a://data/fashion/t10k", "held_out_from_test": 1000, "max_test_drop": 3}
model, forget, out, report and one of forget_ids/sample are required; give each run its own
report URI. --run-id comes from the DAG run id (lethe_args.lethe_run_id), so a retried task
publishes nothing new: `unlearn --run-id X` after a success prints the version it published.
Only exit 1 is retried (lethe_airflow.LetheSubmitOperator). The task `report` reads the report
(the job's final JSON object, written by --report for every outcome) into XCom key "report".
docs/DEPLOY.md says what was tested and what was not.
"""

import datetime

import lethe_airflow
import lethe_args
from airflow.exceptions import AirflowFailException

try:
    from airflow.sdk import DAG, get_current_context, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task
    from airflow.operators.python import get_current_context

REQUIRED = ("model", "forget", "out", "report")

with DAG(
    dag_id="lethe_unlearn",
    description="lethe unlearn: forget training instances, publish the next model version",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["lethe"],
    default_args={"retries": 0},
) as dag:

    @task(multiple_outputs=True)
    def plan():
        """The spark-submit arguments of this run, from dag_run.conf and the run id."""
        context = get_current_context()
        conf = context["dag_run"].conf or {}
        missing = [k for k in REQUIRED if not conf.get(k)]
        if missing:
            raise AirflowFailException("dag_run.conf lacks %s (see the DAG's doc)" % ", ".join(missing))
        run_id = lethe_args.lethe_run_id(context["run_id"])
        try:
            args = lethe_args.unlearn_args(
                model=conf["model"],
                forget=conf["forget"],
                out=conf["out"],
                run_id=run_id,
                forget_ids=conf.get("forget_ids"),
                sample=conf.get("sample"),
                test=conf.get("test"),
                held_out_from_test=conf.get("held_out_from_test"),
                max_test_drop=conf.get("max_test_drop"),
                report=conf["report"],
                extra=conf.get("extra"),
            )
        except ValueError as e:
            raise AirflowFailException(str(e)) from e
        return {"application_args": args, "report": conf["report"], "run_id": run_id}

    planned = plan()

    unlearn = lethe_airflow.LetheSubmitOperator(
        task_id="unlearn",
        lethe_command="unlearn",
        application=lethe_airflow.LETHE_JAR,
        java_class=lethe_args.MAIN_CLASS,
        conn_id=lethe_airflow.SPARK_CONN_ID,
        conf=lethe_args.spark_conf(),
        application_args=planned["application_args"],
        name="lethe-unlearn",
        retries=2,
        retry_delay=datetime.timedelta(minutes=5),
    )

    @task(trigger_rule="all_done")
    def report(uri, run_id):
        """The run's report into XCom; fails when the run failed, so the DAG run does too."""
        return lethe_airflow.check_report(get_current_context(), uri, "unlearn", run_id)

    planned >> unlearn >> report(planned["report"], planned["run_id"])
