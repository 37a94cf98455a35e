package dev.lethe.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lethe.job.JobFixtures;
import dev.lethe.job.JobFixtures.CliRun;
import dev.lethe.job.LetheMain;
import dev.lethe.job.conf.LetheConf;
import dev.lethe.job.ledger.DeltaSparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Airflow DAGs in deploy/airflow, without Airflow (which no registry here serves): every file
 * compiles with python3, the DAGs build their spark-submit arguments with lethe_args.py, and the
 * lists that lethe_args.py returns for concrete values run against the real job with {@code
 * --dry-run} (in-process, a local[2] Spark with Delta Lake for the sweep). The DAG files' own code
 * runs under a fake Airflow (test resources airflow-fake) that records their tasks and lets their
 * functions run. What is not checked: that Airflow loads the DAGs, the provider's operator, XCom
 * resolution, retries (docs/DEPLOY.md).
 */
class AirflowDagsTest extends DeltaSparkTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PYTHON = "/usr/bin/python3";

  /** An Airflow run id as Airflow writes it: ':' and '+' are not allowed in a Lethe run id. */
  private static final String AIRFLOW_RUN_ID = "manual__2026-12-01T10:00:00.123456+00:00";

  /** fake_airflow.py (the few Airflow names the DAGs use) and check_dags.py, which uses it. */
  private static final Path FAKE_AIRFLOW =
      Path.of("src/test/resources/airflow-fake").toAbsolutePath().normalize();

  @TempDir Path tmp;

  private static Path airflowDir() {
    return DeployChecks.deployDir().resolve("airflow");
  }

  /** Runs python3 with lethe_args importable; the script reads its input as JSON from argv[1]. */
  private CliRun python(String script, Object input) throws Exception {
    return python(List.of("-c", script), input);
  }

  /**
   * Runs python3 with deploy/airflow and the fake Airflow (test resources) importable, {@code
   * program} being "-c SCRIPT" or a file, and the input as JSON in the last argument.
   */
  private CliRun python(List<String> program, Object input) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON, "-B"));
    command.addAll(program);
    command.add(JSON.writeValueAsString(input));
    CliRun run =
        JobFixtures.process(
            command,
            Map.of(
                "PYTHONPATH",
                airflowDir() + java.io.File.pathSeparator + FAKE_AIRFLOW,
                "PYTHONPYCACHEPREFIX",
                tmp.resolve("pycache").toString()),
            Duration.ofMinutes(1));
    assertThat(run.exitCode())
        .as("python3 %s\nstdout:\n%s\nstderr:\n%s", program, run.stdout(), run.stderr())
        .isZero();
    return run;
  }

  /** The list a lethe_args function returns for keyword arguments, as printed JSON. */
  private List<String> built(String function, Map<String, Object> kwargs) throws Exception {
    CliRun run =
        python(
            "import json, sys, lethe_args\n"
                + "print(json.dumps(lethe_args."
                + function
                + "(**json.loads(sys.argv[1]))))",
            kwargs);
    return JSON.readValue(run.stdout().strip(), new TypeReference<List<String>>() {});
  }

  private String runId() throws Exception {
    return python(
            "import json, sys, lethe_args\n"
                + "print(lethe_args.lethe_run_id(json.loads(sys.argv[1])))",
            AIRFLOW_RUN_ID)
        .stdout()
        .strip();
  }

  private Map<String, Object> unlearnValues(Path out, String report) throws Exception {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("model", JobFixtures.cnn().toString());
    values.put("forget", JobFixtures.trainImages().toString());
    values.put("out", out.toString());
    values.put("run_id", runId());
    values.put("forget_ids", List.of("digits/5", "digits/40", "digits/77"));
    values.put("test", JobFixtures.testImages().toString());
    values.put("held_out_from_test", 100);
    values.put("max_test_drop", 3);
    values.put("report", report);
    return values;
  }

  private Map<String, Object> sweepValues(Path out, Path ledger, String report) throws Exception {
    Path requests = Files.createDirectories(tmp.resolve("requests"));
    Files.writeString(
        requests.resolve("a.jsonl"),
        "{\"request_id\": \"r-001\", \"subject\": \"u1\"}\n"
            + "{\"request_id\": \"r-002\", \"sample_ids\": [\"digits/5\", \"digits/40\"]}\n");
    Path subjects = tmp.resolve("subjects.csv");
    Files.writeString(subjects, "subject,id\nu1,digits/0\nu1,digits/37\n");
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("requests", requests.toString());
    values.put("ledger", ledger.toString());
    values.put("dataset", JobFixtures.trainImages().toString());
    values.put("model", JobFixtures.cnn().toString());
    values.put("out", out.toString());
    values.put("subjects", subjects.toString());
    values.put("test", JobFixtures.testImages().toString());
    values.put("held_out_from_test", 100);
    values.put("max_per_run", 8);
    values.put("max_test_drop", 3);
    values.put("report", report);
    return values;
  }

  @Test
  void everyPythonFileCompiles() throws Exception {
    List<String> files;
    try (Stream<Path> s = Files.list(airflowDir())) {
      files = s.filter(p -> p.toString().endsWith(".py")).map(Path::toString).sorted().toList();
    }
    assertThat(files.stream().map(f -> Path.of(f).getFileName().toString()))
        .as("python files in %s", airflowDir())
        .contains(
            "lethe_args.py", "lethe_airflow.py", "lethe_unlearn_dag.py", "lethe_sweep_dag.py");
    List<String> command = new ArrayList<>(List.of(PYTHON, "-m", "py_compile"));
    command.addAll(files);
    CliRun run =
        JobFixtures.process(
            command,
            Map.of("PYTHONPYCACHEPREFIX", tmp.resolve("pycache").toString()),
            Duration.ofMinutes(1));
    assertThat(run.exitCode())
        .as("py_compile %s:\n%s%s", files, run.stdout(), run.stderr())
        .isZero();
  }

  @Test
  void theDagsBuildTheirArgumentsWithTheBuilderAndSubmitTheJobsMainClass() throws Exception {
    String unlearn = Files.readString(airflowDir().resolve("lethe_unlearn_dag.py"));
    String sweep = Files.readString(airflowDir().resolve("lethe_sweep_dag.py"));
    String shared = Files.readString(airflowDir().resolve("lethe_airflow.py"));
    assertThat(unlearn)
        .as("lethe_unlearn_dag.py")
        .contains(
            "lethe_args.unlearn_args(",
            "run_id=run_id",
            "lethe_args.lethe_run_id(context[\"run_id\"])",
            "lethe_airflow.LetheSubmitOperator(",
            "java_class=lethe_args.MAIN_CLASS",
            "application_args=planned[\"application_args\"]",
            "conf=lethe_args.spark_conf(",
            "trigger_rule=\"all_done\"",
            "check_report(")
        .doesNotContain("\"--");
    assertThat(sweep)
        .as("lethe_sweep_dag.py")
        .contains(
            "lethe_args.sweep_args(",
            "report=report",
            "lethe_airflow.LetheSubmitOperator(",
            "java_class=lethe_args.MAIN_CLASS",
            "application_args=planned[\"application_args\"]",
            "max_active_runs=1",
            "catchup=False",
            "trigger_rule=\"all_done\"",
            "check_report(")
        .doesNotContain("\"--");
    assertThat(shared)
        .as("lethe_airflow.py maps exit codes with the builder's policy")
        .contains("lethe_args.exit_code_of(", "lethe_args.policy_of(", "AirflowFailException(");

    CliRun constants =
        python(
            "import json, lethe_args as l\n"
                + "print(json.dumps([l.MAIN_CLASS, l.EXIT_OK, l.EXIT_FAILED, l.EXIT_USAGE,"
                + " l.EXIT_NOT_REACHED, l.EXIT_LOCKED]))",
            null);
    assertThat(JSON.readTree(constants.stdout()).toString())
        .as("lethe_args.py's main class and exit codes")
        .isEqualTo(
            JSON.writeValueAsString(
                List.of(
                    LetheMain.class.getName(),
                    LetheMain.EXIT_OK,
                    LetheMain.EXIT_FAILED,
                    LetheMain.EXIT_USAGE,
                    LetheMain.EXIT_NOT_REACHED,
                    LetheMain.EXIT_LOCKED)));
  }

  /**
   * The DAG files' own code, run with a fake Airflow (check_dags.py asserts tasks, schedule,
   * retries, trigger rules, the exit-code policy and the report checks): their plan tasks build
   * exactly the lists lethe_args.py builds for the same values, which the dry-run tests below run
   * against the job.
   */
  @Test
  void theDagsOwnCodeBuildsTheBuildersArgumentsAndRetriesOnlyExit1() throws Exception {
    Path out = tmp.resolve("out");
    Path reports = Files.createDirectories(tmp.resolve("reports"));
    String unlearnReport = reports.resolve("unlearn.json").toString();
    Map<String, Object> unlearnConf = unlearnValues(out, unlearnReport);
    unlearnConf.remove("run_id");
    Map<String, Object> sweepSettings = sweepValues(out, tmp.resolve("ledger"), null);
    sweepSettings.remove("report");
    sweepSettings.put("report_base", reports.toString());
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("airflow_run_id", AIRFLOW_RUN_ID);
    input.put("unlearn_conf", unlearnConf);
    input.put("sweep_settings", sweepSettings);
    input.put("reports", reports.toString());
    JsonNode planned =
        JSON.readTree(
            python(List.of(FAKE_AIRFLOW.resolve("check_dags.py").toString()), input)
                .stdout()
                .strip());

    assertThat(texts(planned.path("unlearn").path("application_args")))
        .as("the unlearn DAG's arguments")
        .isEqualTo(built("unlearn_args", unlearnValues(out, unlearnReport)));
    String sweepReport = reports.resolve("sweep-" + runId() + ".json").toString();
    assertThat(planned.path("sweep").path("report").asText())
        .as("the sweep DAG's report URI")
        .isEqualTo(sweepReport);
    assertThat(texts(planned.path("sweep").path("application_args")))
        .as("the sweep DAG's arguments")
        .isEqualTo(built("sweep_args", sweepValues(out, tmp.resolve("ledger"), sweepReport)));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    assertThat(out).as("arguments").isNotEmpty();
    return out;
  }

  @Test
  void runIdsRetryPolicyAndReportChecks() throws Exception {
    String runId = runId();
    assertThat(runId).as("Lethe run id of %s", AIRFLOW_RUN_ID).matches("[A-Za-z0-9._-]{1,64}");
    assertThat(runId()).as("the same Airflow run gives the same run id").isEqualTo(runId);
    python(
        String.join(
            "\n",
            "import lethe_args as l",
            "assert l.lethe_run_id('r-001') == 'r-001'",
            "assert len(l.lethe_run_id('x' * 200)) == 64",
            "assert l.lethe_run_id('a:b') != l.lethe_run_id('a+b')",
            "msg = 'Cannot execute: spark-submit --class dev.lethe.job.LetheMain x.jar. Error code"
                + " is: %d.'",
            "assert l.exit_code_of(msg % 3) == 3",
            "assert l.exit_code_of('Cannot execute: x. Error code is: 0. Kubernetes spark exit"
                + " code is: 2') == 2",
            "assert l.exit_code_of('spark-submit was killed') is None",
            "assert [l.policy_of(c, 'unlearn') for c in (1, 2, 3, 4, None)] == ['retry', 'fail',"
                + " 'fail', 'fail', 'retry']",
            "assert l.policy_of(4, 'sweep') == 'skip'",
            "ok = l.parse_report('log line\\n{\"status\": \"ok\", \"command\": \"sweep\", \"counts\":"
                + " {\"failed\": 0, \"forgotten\": 2}}\\n')",
            "assert l.report_problem(ok, 'sweep') is None",
            "bad = dict(ok, counts={'failed': 1})",
            "assert 'failed' in l.report_problem(bad, 'sweep')",
            "failed = {'status': 'failed', 'command': 'unlearn', 'exit_code': 3, 'error': 'goal'}",
            "assert 'exit 3' in l.report_problem(failed, 'unlearn')",
            "assert 'stale' in l.report_problem({'status': 'ok', 'command': 'unlearn', 'run_id':"
                + " 'old'}, 'unlearn', 'new')",
            "assert l.report_problem({'status': 'ok', 'command': 'unlearn', 'run_id': 'r'},"
                + " 'unlearn', 'r') is None",
            "assert l.split_uri('s3a://bucket/a/b.json') == ('s3a', 'bucket', 'a/b.json')",
            "assert l.split_uri('file:///tmp/r.json') == ('file', None, '/tmp/r.json')",
            "try:",
            "    l.spark_conf(extra={'spark.hadoop.fs.s3a.secret.key': 'x'})",
            "    raise SystemExit('a secret went into --conf')",
            "except ValueError:",
            "    pass",
            "try:",
            "    l.unlearn_args('m', 'f', 'o', 'r', forget_ids=['a'], sample=3)",
            "    raise SystemExit('forget_ids and sample together')",
            "except ValueError:",
            "    pass"),
        null);
  }

  @Test
  void theSparkConfHasOnlySettingsTheJobKnows() throws Exception {
    CliRun run =
        python(
            "import json, sys, lethe_args\n"
                + "print(json.dumps(lethe_args.spark_conf(s3_endpoint='http://127.0.0.1:9000',"
                + " s3_path_style=True)))",
            null);
    Map<String, String> conf =
        JSON.readValue(run.stdout().strip(), new TypeReference<Map<String, String>>() {});
    assertThat(conf).as("spark_conf()").containsKey("spark.executor.extraJavaOptions");
    LetheConf.from(conf);
  }

  @Test
  void theUnlearnArgumentsParseWithoutDryRun() throws Exception {
    DeployChecks.parsesAndValidates(built("unlearn_args", unlearnValues(tmp.resolve("out"), null)));
    Map<String, Object> sampled = unlearnValues(tmp.resolve("out"), null);
    sampled.remove("forget_ids");
    sampled.put("sample", 8);
    DeployChecks.parsesAndValidates(built("unlearn_args", sampled));
  }

  @Test
  void theSweepArgumentsParseWithoutDryRun() throws Exception {
    DeployChecks.parsesAndValidates(
        built("sweep_args", sweepValues(tmp.resolve("out"), tmp.resolve("ledger"), null)));
  }

  @Test
  void theUnlearnArgumentsOfTheDagPlanARunAndWriteNothing() throws Exception {
    Path out = tmp.resolve("out");
    String report = tmp.resolve("reports").resolve("unlearn.json").toString();
    List<String> args = built("unlearn_args", unlearnValues(out, report));
    assertThat(args)
        .as("the builder's unlearn arguments")
        .startsWith("unlearn")
        .contains("--run-id", runId(), "--report", report, "--forget-ids");
    DeployChecks.dryRunPlans(args, out);

    Map<String, Object> sampled = unlearnValues(out, report);
    sampled.remove("forget_ids");
    sampled.put("sample", 8);
    List<String> sampleArgs = built("unlearn_args", sampled);
    assertThat(sampleArgs).as("the builder's sample arguments").contains("--sample", "8");
    DeployChecks.dryRunPlans(sampleArgs, out);
  }

  @Test
  void theSweepArgumentsOfTheDagPlanARunAndWriteNothing() throws Exception {
    Path out = tmp.resolve("out");
    Path ledger = tmp.resolve("ledger");
    String report = tmp.resolve("reports").resolve("sweep.json").toString();
    List<String> args = built("sweep_args", sweepValues(out, ledger, report));
    assertThat(args).as("the builder's sweep arguments").startsWith("sweep").contains("--report");
    DeployChecks.dryRunPlans(args, out, ledger);
  }
}
