package dev.lethe.job.unlearn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lethe.job.report.JobJson;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The published versions of one model, {@code <out>/<model name>/<version>/}: a folder is a version
 * when it holds {@code manifest.json} (written last). Finds the version a run id published, so that
 * a retried run publishes nothing new.
 */
public final class PublishedVersions {

  /** Fields of report.json that the job adds after the method's numbers ({@link UnlearnReport}). */
  private static final List<String> JOB_FIELDS =
      List.of(
          "run_id",
          "model_uri",
          "model_sha256",
          "memory",
          "version",
          "parent_model_uri",
          "parent_model_sha256",
          "manifest_uri");

  private final Configuration conf;
  private final Path root;

  /** The versions under {@code <out>/<modelName>}. */
  public PublishedVersions(Configuration conf, String out, String modelName) {
    this.conf = conf;
    this.root = new Path(new Path(out), modelName);
  }

  /**
   * The report of the version whose manifest names {@code runId}, if one was published. Only
   * folders named {@code <time>-<runId>} are read, so the cost does not grow with the number of
   * versions.
   *
   * @throws UncheckedIOException naming the folder when it cannot be listed or a manifest read
   */
  public Optional<UnlearnReport> byRunId(String runId) {
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus[] children = children(fs);
      List<FileStatus> candidates =
          Arrays.stream(children)
              .filter(FileStatus::isDirectory)
              .filter(s -> !s.getPath().getName().startsWith("."))
              .filter(s -> s.getPath().getName().endsWith("-" + runId))
              .sorted(Comparator.comparing(s -> s.getPath().getName()))
              .toList();
      for (FileStatus candidate : candidates) {
        Path manifest = new Path(candidate.getPath(), Publisher.MANIFEST);
        if (!fs.exists(manifest)) {
          continue; // an object-store publish that did not finish: not a version
        }
        JsonNode m = read(fs, manifest);
        if (runId.equals(m.path("run_id").asText(null))) {
          return Optional.of(report(read(fs, new Path(candidate.getPath(), "report.json"))));
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot look for run id "
              + runId
              + " under "
              + root
              + ": "
              + e
              + "; check the --out URI and permissions",
          e);
    }
  }

  /**
   * What earlier attempts of run id {@code runId} left unfinished: version folders {@code
   * <time>-<runId>} without a manifest (an object-store publish cut short), temporary folders
   * {@code .tmp-<time>-<runId>} (a rename publish cut short) and work folders {@code
   * .work-<time>-<runId>}, except {@code keep} (the calling run's own).
   *
   * @throws UncheckedIOException naming the folder when it cannot be listed
   */
  public List<Path> unfinished(String runId, Path keep) {
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus[] children = children(fs);
      List<Path> out = new java.util.ArrayList<>();
      for (FileStatus child : children) {
        String name = child.getPath().getName();
        if (!child.isDirectory()
            || !name.endsWith("-" + runId)
            || (keep != null && name.equals(keep.getName()))) {
          continue;
        }
        boolean leftover =
            name.startsWith(".tmp-")
                || name.startsWith(".work-")
                || (!name.startsWith(".")
                    && !fs.exists(new Path(child.getPath(), Publisher.MANIFEST)));
        if (leftover) {
          out.add(child.getPath());
        }
      }
      out.sort(Comparator.comparing(Path::getName));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list " + root + " for run id " + runId + ": " + e + "; check --out", e);
    }
  }

  /** A published version's name and its manifest. */
  public record Published(String version, JsonNode manifest) {}

  /**
   * Every published version (a folder with a manifest) and its manifest, in name order (time
   * order).
   *
   * @throws UncheckedIOException naming the folder when it cannot be listed or a manifest read
   */
  public List<Published> all() {
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus[] children = children(fs);
      List<Published> out = new java.util.ArrayList<>();
      for (FileStatus child :
          Arrays.stream(children)
              .filter(FileStatus::isDirectory)
              .filter(s -> !s.getPath().getName().startsWith("."))
              .sorted(Comparator.comparing(s -> s.getPath().getName()))
              .toList()) {
        Path manifest = new Path(child.getPath(), Publisher.MANIFEST);
        if (fs.exists(manifest)) {
          out.add(new Published(child.getPath().getName(), read(fs, manifest)));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot list the versions under " + root + ": " + e + "; check --out and permissions", e);
    }
  }

  /** The entries of the model's folder; none when it does not exist yet. */
  private FileStatus[] children(FileSystem fs) throws IOException {
    try {
      return fs.listStatus(root);
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    }
  }

  private static JsonNode read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return JobJson.mapper().readTree(in);
    }
  }

  /** A published report.json as the report it was written from. */
  static UnlearnReport report(JsonNode json) throws IOException {
    ObjectNode measured = json.deepCopy();
    JOB_FIELDS.forEach(measured::remove);
    JsonNode memory = json.get("memory");
    return new UnlearnReport(
        JobJson.mapper().treeToValue(measured, UnlearnReport.Measured.class),
        json.path("run_id").asText(null),
        json.path("model_uri").asText(null),
        json.path("model_sha256").asText(null),
        memory == null || memory.isNull()
            ? null
            : JobJson.mapper().treeToValue(memory, UnlearnReport.Memory.class),
        json.path("version").asText(null),
        json.path("parent_model_uri").asText(null),
        json.path("parent_model_sha256").asText(null),
        json.path("manifest_uri").asText(null));
  }
}
