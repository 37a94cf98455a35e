package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.failure.SettingException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClassIndexTest {

  private static final List<String> FASHION =
      List.of(
          "T-shirt",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  @Test
  void integerFoldersAreTheirOwnIndexEvenWhenClassesAreMissing() {
    ClassIndex index = ClassIndex.resolve("forget", List.of("7", "3"), List.of());

    assertThat(index.indexOf("3")).as("folder 3").isEqualTo(3);
    assertThat(index.indexOf("7")).as("folder 7, not 1").isEqualTo(7);
    assertThat(index.numClasses()).as("unknown class count").isEmpty();
  }

  @Test
  void namedFoldersMapByTheModelsClassNames() {
    ClassIndex index = ClassIndex.resolve("forget", List.of("Sneaker", "Bag"), FASHION);

    assertThat(index.indexOf("Bag")).as("Bag").isEqualTo(8);
    assertThat(index.indexOf("Sneaker")).as("Sneaker").isEqualTo(7);
    assertThat(index.numClasses()).as("class count from names").hasValue(10);
    assertThat(index.classNames()).as("names kept").hasValue(FASHION);
  }

  @Test
  void folderNotAmongTheNamesIsRefusedListingTheNames() {
    assertThatThrownBy(() -> ClassIndex.resolve("s3a://b/forget", List.of("Boot"), FASHION))
        .as("unknown folder name")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"Boot\"")
        .hasMessageContaining("s3a://b/forget")
        .hasMessageContaining("\"Ankle boot\"");
  }

  @Test
  void nonIntegerFoldersWithoutNamesAreRefusedWithGuidance() {
    assertThatThrownBy(() -> ClassIndex.resolve("/data/forget", List.of("cat", "7"), List.of()))
        .as("named folders, no class names")
        .isInstanceOf(SettingException.class)
        .hasMessageContaining("/data/forget")
        .hasMessageContaining("\"cat\"")
        .hasMessageContaining("(setting: class-names)")
        .hasMessageNotContaining("--class-names")
        .hasMessageContaining("\"classes\"");
    assertThatThrownBy(() -> ClassIndex.resolve("r", List.of("-1"), List.of()))
        .as("negative numbers are not indices")
        .hasMessageContaining("\"-1\"");
  }

  @Test
  void parsesClassNamesOption() {
    assertThat(ClassIndex.parseClassNames("cat, dog ,bird"))
        .as("trimmed names")
        .containsExactly("cat", "dog", "bird");
    assertThatThrownBy(() -> ClassIndex.parseClassNames("cat,dog,cat"))
        .as("duplicate name")
        .hasMessageContaining("\"cat\"");
    assertThatThrownBy(() -> ClassIndex.parseClassNames("cat,,dog"))
        .as("empty name")
        .hasMessageContaining("class name 1");
  }

  /** The demo model's class names: "t-shirt/top" cannot be a folder name. */
  private static final List<String> DEMO =
      List.of(
          "t-shirt/top",
          "trouser",
          "pullover",
          "dress",
          "coat",
          "sandal",
          "shirt",
          "sneaker",
          "bag",
          "ankle boot");

  @Test
  void folderNamesWriteSlashAsUnderscore() {
    ClassIndex index = ClassIndex.resolve("forget", List.of("t-shirt_top", "bag"), DEMO);

    assertThat(index.indexOf("t-shirt_top")).as("t-shirt_top is t-shirt/top").isZero();
    assertThat(index.indexOf("bag")).as("bag").isEqualTo(8);
    assertThatThrownBy(() -> index.indexOf("t-shirt/top"))
        .as("no folder can hold a '/'; the literal name is not a folder name")
        .hasMessageContaining("\"t-shirt_top\"");
  }

  @Test
  void folderThatMatchesTwoClassNamesIsRefusedNamingBoth() {
    ClassIndex index = ClassIndex.ofNames(List.of("a/b", "a_b", "c"));

    assertThatThrownBy(() -> index.indexOf("a_b"))
        .as("a_b is both a/b (with '/' written '_') and a_b")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot label class folder \"a_b\"")
        .hasMessageContaining("\"a/b\"")
        .hasMessageContaining("\"a_b\"")
        .hasMessageContaining("class-names");
    assertThat(index.indexOf("c")).as("other folders still map").isEqualTo(2);
  }
}
