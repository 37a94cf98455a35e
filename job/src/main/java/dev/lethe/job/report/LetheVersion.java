package dev.lethe.job.report;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version of Lethe this job was built as: the Maven project version, written into the resource
 * {@code lethe-version.properties} at build time (so tests and the shaded jar read the same), else
 * the jar manifest's Implementation-Version, else {@code dev}.
 */
public final class LetheVersion {

  private static final String RESOURCE = "lethe-version.properties";

  private LetheVersion() {}

  /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String get() {
    try (InputStream in = LetheVersion.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String version = p.getProperty("version", "").strip();
        if (!version.isEmpty() && !version.startsWith("${")) {
          return version;
        }
      }
    } catch (IOException e) {
      // fall through to the manifest
    }
    String manifest = LetheVersion.class.getPackage().getImplementationVersion();
    return manifest == null ? "dev" : manifest;
  }
}
