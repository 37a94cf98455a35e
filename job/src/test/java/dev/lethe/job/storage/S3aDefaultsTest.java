package dev.lethe.job.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lethe's bounded S3A timeouts and retries replace Hadoop's built-in defaults only: a value the
 * user set (Spark's spark.hadoop.*, code, a site file) stays.
 */
class S3aDefaultsTest {

  @TempDir Path tmp;

  @Test
  void replacesHadoopsBuiltInDefaults() {
    Configuration conf = new Configuration();
    assertThat(conf.get("fs.s3a.attempts.maximum")).as("Hadoop's own default").isEqualTo("5");

    S3aDefaults.apply(conf);

    S3aDefaults.VALUES.forEach(
        (key, value) -> assertThat(conf.get(key)).as("%s", key).isEqualTo(value));
    assertThat(conf.getPropertySources("fs.s3a.retry.limit")).contains(S3aDefaults.SOURCE);
  }

  @Test
  void keepsWhatTheUserSet() throws Exception {
    Path site = tmp.resolve("site.xml");
    Files.writeString(
        site,
        "<configuration><property><name>fs.s3a.retry.limit</name><value>9</value></property>"
            + "</configuration>",
        StandardCharsets.UTF_8);
    Configuration conf = new Configuration();
    conf.addResource(new org.apache.hadoop.fs.Path(site.toUri()));
    conf.set("fs.s3a.connection.establish.timeout", "45s");
    conf.set("fs.s3a.connection.request.timeout", "2m", "Set by Spark");

    S3aDefaults.apply(conf);

    assertThat(conf.get("fs.s3a.retry.limit")).as("from a site file").isEqualTo("9");
    assertThat(conf.get("fs.s3a.connection.establish.timeout")).as("set in code").isEqualTo("45s");
    assertThat(conf.get("fs.s3a.connection.request.timeout")).as("from Spark").isEqualTo("2m");
    assertThat(conf.get("fs.s3a.attempts.maximum")).as("not set: Lethe's").isEqualTo("0");
  }
}
