package dev.lethe.job.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class TorchThreadsTest {

  private static SparkConf master(String master) {
    return new SparkConf(false).set("spark.master", master);
  }

  @Test
  void localMastersRunTheirThreadCountOfTasks() {
    assertThat(TorchThreads.concurrentTasks(master("local"), 16)).as("local").isEqualTo(1);
    assertThat(TorchThreads.concurrentTasks(master("local[3]"), 16)).as("local[3]").isEqualTo(3);
    assertThat(TorchThreads.concurrentTasks(master("local[*]"), 16)).as("local[*]").isEqualTo(16);
    assertThat(TorchThreads.concurrentTasks(master("local[8,2]"), 16))
        .as("local[8,2]")
        .isEqualTo(8);
    assertThat(TorchThreads.concurrentTasks(master("local[8]").set("spark.task.cpus", "2"), 16))
        .as("local[8] with 2 cpus per task")
        .isEqualTo(4);
  }

  @Test
  void clusterExecutorsRunTheirCoresOverTaskCpusTasks() {
    assertThat(
            TorchThreads.concurrentTasks(
                master("spark://host:7077").set("spark.executor.cores", "4"), 16))
        .as("4 executor cores")
        .isEqualTo(4);
    assertThat(TorchThreads.concurrentTasks(master("k8s://api"), 8))
        .as("executor cores unset: all cores")
        .isEqualTo(8);
    assertThat(TorchThreads.concurrentTasks(master("local-cluster[2, 3, 1024]"), 16))
        .as("local-cluster")
        .isEqualTo(3);
  }

  @Test
  void eachTaskGetsItsShareOfItsOwnJvmsCoresNotOfTheMachines() {
    assertThat(
            TorchThreads.threadsFor(
                master("spark://host:7077").set("spark.executor.cores", "1"), 2))
        .as("a one-core executor on a 2-core machine")
        .isEqualTo(1);
    assertThat(
            TorchThreads.threadsFor(
                master("spark://host:7077").set("spark.executor.cores", "4"), 16))
        .as("4 one-cpu tasks in a 4-core executor on 16 cores")
        .isEqualTo(1);
    assertThat(
            TorchThreads.threadsFor(
                master("spark://host:7077")
                    .set("spark.executor.cores", "4")
                    .set("spark.task.cpus", "2"),
                16))
        .as("2 two-cpu tasks in a 4-core executor")
        .isEqualTo(2);
    assertThat(TorchThreads.threadsFor(master("k8s://api"), 8))
        .as("executor cores unset: a task per core")
        .isEqualTo(1);
    assertThat(TorchThreads.threadsFor(master("local-cluster[2, 3, 1024]"), 16))
        .as("local-cluster: 3 tasks on 3 cores per executor")
        .isEqualTo(1);
    assertThat(TorchThreads.threadsFor(master("local[2]"), 2)).as("local[2]").isEqualTo(1);
    assertThat(TorchThreads.threadsFor(master("local[1]"), 2)).as("local[1]").isEqualTo(2);
  }

  @Test
  void threadsSplitTheCoresAtLeastOneEach() {
    assertThat(TorchThreads.threadsPerTask(16, 4)).as("16 cores, 4 tasks").isEqualTo(4);
    assertThat(TorchThreads.threadsPerTask(2, 4)).as("2 cores, 4 tasks").isEqualTo(1);
    assertThat(TorchThreads.threadsPerTask(2, 1)).as("2 cores, 1 task").isEqualTo(2);
  }
}
