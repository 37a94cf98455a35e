package dev.lethe.job.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lethe.job.failure.UsageException;
import dev.lethe.job.model.ModelArtifact;
import dev.lethe.job.unlearn.CurrentVersion;
import dev.lethe.job.unlearn.PublishedVersions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Which model a sweep's current version descends from. Versions live under {@code <out>/<model
 * file's name>/}, so two different models saved under one file name (a/model.pt, b/model.pt) share
 * that folder; a sweep of b must not continue from a's versions. Each version's manifest names its
 * parent (URI and sha256); the first parent that is not a version of this folder is the model the
 * chain started from. When the chain leads to a version that is no longer there (old versions
 * deleted, as a retention policy should once their data is forgotten), where it started cannot be
 * told, and nothing is refused.
 */
final class Lineage {

  private Lineage() {}

  /**
   * Refuses to continue from {@code current} unless its chain of versions starts from the model at
   * {@code modelUri} (the sweep's --model, read only when there is a current version).
   *
   * @throws UsageException naming both models and what to give instead
   */
  static void requireDescendsFrom(
      Configuration conf,
      String out,
      String modelName,
      Optional<CurrentVersion> current,
      String modelUri) {
    if (current.isEmpty()) {
      return;
    }
    String modelSha;
    try (ModelArtifact model = ModelArtifact.fetch(modelUri, conf)) {
      modelSha = model.sha256();
    }
    Map<String, JsonNode> manifests = new HashMap<>();
    for (PublishedVersions.Published p : new PublishedVersions(conf, out, modelName).all()) {
      manifests.put(p.version(), p.manifest());
    }
    Path folder = qualified(conf, new Path(new Path(out), modelName));
    String version = current.get().version();
    Set<String> seen = new HashSet<>();
    JsonNode parent = null;
    while (version != null && seen.add(version)) {
      if (!manifests.containsKey(version)) {
        return; // a deleted version: where the chain started cannot be told
      }
      parent = manifests.get(version).path("parent");
      version = versionOf(conf, folder, parent.path("uri").asText(""));
    }
    String rootSha = parent == null ? null : parent.path("sha256").asText(null);
    if (rootSha == null || rootSha.equals(modelSha)) {
      return;
    }
    throw new UsageException(
        "Cannot sweep model "
            + modelUri
            + " (sha256 "
            + modelSha.substring(0, 12)
            + ") into "
            + folder
            + ": its current version "
            + current.get().version()
            + " descends from another model, "
            + parent.path("uri").asText("?")
            + " (sha256 "
            + rootSha.substring(0, Math.min(12, rootSha.length()))
            + "), saved under the same file name; give that model as --model, or another --out");
  }

  /** The version of {@code folder} whose model file {@code uri} names; null when it names none. */
  private static String versionOf(Configuration conf, Path folder, String uri) {
    if (uri.isEmpty()) {
      return null;
    }
    Path dir = new Path(uri).getParent();
    if (dir == null || dir.getParent() == null) {
      return null;
    }
    return qualified(conf, dir.getParent()).equals(folder) ? dir.getName() : null;
  }

  private static Path qualified(Configuration conf, Path path) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      return fs.makeQualified(path);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot resolve " + path + ": " + e, e);
    }
  }
}
