package dev.lethe.job.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SampleReaderPathsTest {

  private static final String ROOT = "s3a://bucket/faces";

  @Test
  void idsArePathsRelativeToTheRoot() {
    assertThat(SampleReader.relativeId(ROOT, ROOT + "/3/a/b.PNG"))
        .as("nested")
        .isEqualTo("3/a/b.PNG");
    assertThat(SampleReader.classOf(ROOT, ROOT + "/cat/x.jpeg")).as("class").isEqualTo("cat");
  }

  @Test
  void ignoresFilesOutsideClassFoldersAndNonImages() {
    assertThat(SampleReader.relativeId(ROOT, ROOT + "/x.png")).as("directly under root").isNull();
    assertThat(SampleReader.relativeId(ROOT, ROOT + "/3/notes.txt")).as("not an image").isNull();
    assertThat(SampleReader.relativeId(ROOT, ROOT + "/.cache/x.png")).as("hidden folder").isNull();
    assertThat(SampleReader.relativeId(ROOT, ROOT + "s/3/x.png")).as("sibling root").isNull();
  }
}
