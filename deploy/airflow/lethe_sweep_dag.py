"""Airflow DAG `lethe_sweep`: a scheduled `lethe sweep` over the pending erasure requests.

Its settings are the Airflow Variable `lethe_sweep` (JSON), read when a run starts:
    {"requests": "s3a://ops/lethe/requests/", "ledger": "s3a://ops/lethe/ledger",
     "dataset": "s3a://data/fashion/train", "subjects": "s3a://ops/lethe/subjects.csv",
     "model": "s3a://models/fashion/model.pt", "out": "s3a://models/unlearned",
     "report_base": "s3a://ops/lethe/reports",
     "test": "s3a://data/fashion/t10k", "held_out_from_test": 1000,   # optional, as are
     "goal": "unseen", "max_per_run": 64, "max_test_drop": 3, "retain": ..., "max_retain_drop": ...}
The sweep's default goal, unseen, needs a held-out sample ("held_out_from_test", or the option
--held-out URI in "extra"); "goal": "misclassify" runs without one.
Each run writes its report to <report_base>/sweep-<run id>.json. One run at a time
(max_active_runs=1; the job's ledger lock also refuses a second sweep, exit 4, which skips), no
catch-up. The sweep task is retried only on exit 1 (a sweep resumes from its ledger, so a rerun is
safe); the task `check` reads the report into XCom key "report" and fails when the sweep failed or
recorded a failed request (counts.failed > 0), so a person looks. docs/DEPLOY.md.
"""

import datetime
import os

import lethe_airflow
import lethe_args
from airflow.exceptions import AirflowFailException

try:
    from airflow.sdk import DAG, Variable, get_current_context, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task
    from airflow.models import Variable
    from airflow.operators.python import get_current_context

SCHEDULE = os.environ.get("LETHE_SWEEP_SCHEDULE", "0 2 * * *")
REQUIRED = ("requests", "ledger", "dataset", "model", "out", "report_base")
OPTIONAL = ("subjects", "test", "held_out_from_test", "goal", "max_per_run", "max_test_drop", "retain", "max_retain_drop")

with DAG(
    dag_id="lethe_sweep",
    description="lethe sweep: forget every pending erasure request, record outcomes in the ledger",
    schedule=SCHEDULE,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["lethe"],
    default_args={"retries": 0},
) as dag:

    @task(multiple_outputs=True)
    def plan():
        """The spark-submit arguments of this run, from the Variable lethe_sweep and the run id."""
        context = get_current_context()
        settings = Variable.get("lethe_sweep", deserialize_json=True)
        missing = [k for k in REQUIRED if not settings.get(k)]
        if missing:
            raise AirflowFailException("The Variable lethe_sweep lacks %s (see the DAG's doc)" % ", ".join(missing))
        report = "%s/sweep-%s.json" % (
            settings["report_base"].rstrip("/"),
            lethe_args.lethe_run_id(context["run_id"]),
        )
        args = lethe_args.sweep_args(
            requests=settings["requests"],
            ledger=settings["ledger"],
            dataset=settings["dataset"],
            model=settings["model"],
            out=settings["out"],
            report=report,
            extra=settings.get("extra"),
            **{k: settings.get(k) for k in OPTIONAL},
        )
        return {"application_args": args, "report": report}

    planned = plan()

    sweep = lethe_airflow.LetheSubmitOperator(
        task_id="sweep",
        lethe_command="sweep",
        application=lethe_airflow.LETHE_JAR,
        java_class=lethe_args.MAIN_CLASS,
        conn_id=lethe_airflow.SPARK_CONN_ID,
        conf=lethe_args.spark_conf(),
        application_args=planned["application_args"],
        name="lethe-sweep",
        retries=1,
        retry_delay=datetime.timedelta(minutes=10),
    )

    @task(trigger_rule="all_done")
    def check(uri):
        """The sweep's report into XCom; fails when it failed or recorded failed requests."""
        return lethe_airflow.check_report(get_current_context(), uri, "sweep")

    planned >> sweep >> check(planned["report"])
