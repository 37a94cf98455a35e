# shellcheck shell=bash
# Sourced by the launchers in deploy/bin (lethe, lethe-submit, make-spark-home): finding or
# building the job jar, finding conf/lethe-defaults.conf, and failing with one line that says what
# failed. The sourcing script sets `repo` (the repository root) and `launcher` (its name, for
# messages) first.
#
# Every failure here prints "<launcher>: <what failed>" on stderr and exits non-zero; the ERR trap
# catches any command that fails outside these functions, so that `set -e` never ends a launcher
# without a word (a fresh clone's first run once did exactly that).

: "${repo:?launcher.sh needs repo}" "${launcher:?launcher.sh needs launcher}"

trap 'lethe_on_error "$?" "$LINENO" "$BASH_COMMAND"' ERR

# The job jar (job/target/lethe-job-*.jar) and the embedded Spark's classpath the build writes.
readonly lethe_classpath_file="$repo/job/target/spark-classpath.txt"
readonly lethe_build=(mvn -B -q -DskipTests package)

lethe_on_error() {
  echo "$launcher: failed (exit $1) at line $2 of $(basename "$0"): $3" >&2
}

# Prints "<launcher>: MESSAGE" on stderr and exits with status 1 (or CODE, given as --code CODE).
lethe_die() {
  local code=1
  if [[ $1 == --code ]]; then
    code="$2"
    shift 2
  fi
  trap - ERR
  echo "$launcher: $*" >&2
  exit "$code"
}

# Makes sure COMMAND is on PATH, else dies naming what to install.
lethe_require_command() {
  local command="$1" what="$2"
  command -v "$command" >/dev/null 2>&1 || lethe_die "$command is not on PATH; install $what"
}

# Prints the job jar's path, or nothing when there is none yet. Always succeeds.
lethe_job_jar() {
  local jar
  for jar in "$repo"/job/target/lethe-job-*.jar; do
    if [[ -f $jar ]]; then
      echo "$jar"
      return 0
    fi
  done
  return 0
}

# Prints why the job must be built before it runs, or nothing when the jar is current. A jar older
# than the main sources or poms would run yesterday's code without saying so.
lethe_build_reason() {
  local jar="$1" changed
  if [[ -z $jar ]]; then
    echo "no job jar yet (job/target/lethe-job-*.jar)"
  elif [[ ! -f $lethe_classpath_file ]]; then
    echo "no job/target/spark-classpath.txt yet"
  elif [[ ${LETHE_REBUILD:-0} == 1 ]]; then
    echo "LETHE_REBUILD=1"
  elif ! lethe_classpath_jars_exist; then
    echo "$lethe_missing_jar (on job/target/spark-classpath.txt) is gone"
  else
    changed="$(find "$repo"/common/src/main "$repo"/job/src/main "$repo"/pom.xml \
      "$repo"/common/pom.xml "$repo"/job/pom.xml -newer "$jar" -print -quit 2>/dev/null || true)"
    if [[ -n $changed ]]; then
      echo "${changed#"$repo"/} is newer than $(basename "$jar")"
    fi
  fi
  return 0
}

# Whether every jar that job/target/spark-classpath.txt lists exists; sets lethe_missing_jar to the
# first that does not (a Maven repository cleaned since the build). A jar behind a folder this user
# may not enter is not missing: lethe_require_readable_classpath names it.
lethe_classpath_jars_exist() {
  local entry entries dir
  IFS=: read -r -a entries <"$lethe_classpath_file" || true # the file ends without a line break
  for entry in "${entries[@]}"; do
    [[ -z $entry || -e $entry ]] && continue
    dir="$(dirname "$entry")"
    while [[ ! -e $dir && $dir != / ]]; do
      dir="$(dirname "$dir")"
    done
    if [[ -x $dir ]]; then
      lethe_missing_jar="$entry"
      return 1
    fi
  done
  return 0
}

# Dies with one line when this user cannot read a jar of job/target/spark-classpath.txt: the build
# lists the jars in the Maven repository of the user who ran it, and Java would otherwise stop with
# a NoClassDefFoundError's stack trace.
lethe_require_readable_classpath() {
  local entry entries builder
  IFS=: read -r -a entries <"$lethe_classpath_file" || true # the file ends without a line break
  for entry in "${entries[@]}"; do
    if [[ -n $entry && ! -r $entry ]]; then
      builder="$(stat -c %U "$lethe_classpath_file" 2>/dev/null || echo "another user")"
      lethe_die "cannot read $entry, on the embedded Spark's classpath (job/target/spark-classpath.txt," \
        "written by $builder's build); run as $builder, make that Maven repository readable, or" \
        "build the job as this user (LETHE_REBUILD=1, with a job/target this user may write)"
    fi
  done
  return 0
}

# Sets lethe_jar to the job jar, building the job first (one line on stderr says so and why) when
# the jar or the embedded Spark's classpath is missing or older than the sources.
lethe_ensure_built() {
  local reason
  lethe_jar="$(lethe_job_jar)"
  reason="$(lethe_build_reason "$lethe_jar")"
  [[ -z $reason ]] && return 0
  lethe_require_command mvn "Maven 3.8 or later (the job is built with '${lethe_build[*]}')"
  echo "$launcher: $reason: building the job with '${lethe_build[*]}' (a minute or two;" \
    "the first build also downloads the dependencies)" >&2
  # Debian's Maven prints colour resets even in batch mode: drop them, keep Maven's status.
  if ! (cd "$repo" && "${lethe_build[@]}") 2>&1 | sed $'s/\e\\[0m//g' >&2; then
    lethe_die "the build failed ('${lethe_build[*]}' in $repo); Maven's errors are above"
  fi
  lethe_jar="$(lethe_job_jar)"
  [[ -n $lethe_jar ]] || lethe_die "the build made no job/target/lethe-job-*.jar"
  [[ -f $lethe_classpath_file ]] || lethe_die "the build made no $lethe_classpath_file"
  return 0
}

# Sets lethe_defaults to the defaults file, $LETHE_DEFAULTS or else conf/lethe-defaults.conf (empty
# when there is none), for Spark to read as a properties file: lethe-submit gives it to
# spark-submit as --properties-file, lethe names it to the job as -Dlethe.defaults. Dies (status 2)
# when LETHE_DEFAULTS names a file that does not exist.
lethe_find_defaults() {
  lethe_defaults="${LETHE_DEFAULTS:-$repo/conf/lethe-defaults.conf}"
  if [[ ! -f $lethe_defaults ]]; then
    if [[ -n ${LETHE_DEFAULTS:-} ]]; then
      lethe_die --code 2 "LETHE_DEFAULTS names $lethe_defaults, which does not exist; give an existing file"
    fi
    lethe_defaults=""
  fi
  return 0
}

# glibc's allocator settings for libtorch (docs/BENCHMARKS.md, "Lethe against PyTorch"): by default
# glibc hands every freed buffer of more than a few MiB back to the kernel (munmap, heap trim), and
# oneDNN's convolutions allocate such buffers several times per step, so each step page-faults its
# memory in afresh. Keeping buffers up to 32 MiB in the heap and trimming only above 1 GiB runs PGD
# and the fine-tune about twice as fast at the same peak memory. Every JVM thread, the one that runs
# main() included (the java launcher starts it; only the process's first thread uses glibc's main
# heap), allocates from a per-thread arena made of 64 MiB heaps, and glibc unmaps such a heap as
# soon as it is free, whatever the trim threshold. A top pad of 64 MiB keeps them: strace of the
# demo's 20-step fine-tune counts 266 unmaps of 1 MiB or more (16.3 GiB) without it and 22 (0.9 GiB)
# with it, and the fine-tune and the demo run 1.4-1.7 times as fast (docs/BENCHMARKS.md, "glibc's
# allocator and libtorch"). A value already set is kept.
# conf/lethe-defaults.conf gives cluster executors the same (spark.executorEnv.*), and so does the
# image (deploy/k8s/Dockerfile); NativeAllocatorSettingsTest keeps the four places equal.
lethe_native_allocator() {
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
  export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-67108864}"
}

# Builds the common module's test classes and sets `lethe_test_cp` to their classpath (test
# classes, classes and every test-scope jar), for the benchmarks that run its mains (bench-pytorch,
# bench-protocol). Dies with one line when the build fails.
lethe_common_test_classpath() {
  echo "$launcher: building the common module's test classes (mvn -B -q -pl common test-compile)" >&2
  (cd "$repo" && mvn -B -q -pl common test-compile &&
    mvn -B -q -pl common dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile=target/test-classpath.txt) >&2 ||
    lethe_die "the build failed (mvn -B -q -pl common test-compile in $repo); Maven's errors are above"
  # shellcheck disable=SC2034 # read by the scripts that source this file
  lethe_test_cp="$repo/common/target/test-classes:$repo/common/target/classes:$(cat "$repo/common/target/test-classpath.txt")"
}
