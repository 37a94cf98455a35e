package dev.lethe.job.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageFolderInputTest {

  private static final String ROOT = "s3a://bucket/faces";

  @Test
  void idsArePathsRelativeToTheRoot() {
    assertThat(ImageFolderInput.relativeId(ROOT, ROOT + "/3/a/b.PNG"))
        .as("nested")
        .isEqualTo("3/a/b.PNG");
    assertThat(ImageFolderInput.classOf(ROOT, ROOT + "/cat/x.jpeg")).as("class").isEqualTo("cat");
  }

  @Test
  void ignoresFilesOutsideClassFoldersAndNonImages() {
    assertThat(ImageFolderInput.relativeId(ROOT, ROOT + "/x.png"))
        .as("directly under root")
        .isNull();
    assertThat(ImageFolderInput.relativeId(ROOT, ROOT + "/3/notes.txt"))
        .as("not an image")
        .isNull();
    assertThat(ImageFolderInput.relativeId(ROOT, ROOT + "/.cache/x.png"))
        .as("hidden folder")
        .isNull();
    assertThat(ImageFolderInput.relativeId(ROOT, ROOT + "s/3/x.png")).as("sibling root").isNull();
  }
}
