package dev.lethe.job.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeAllocatorTest {

  @Test
  void aDriverWithoutTheSettingsIsToldWhichToSet() {
    assertThat(NativeAllocator.advice(Map.of()))
        .hasValueSatisfying(
            line ->
                assertThat(line)
                    .contains("MALLOC_MMAP_THRESHOLD_=33554432")
                    .contains("MALLOC_TRIM_THRESHOLD_=1073741824")
                    .contains("MALLOC_TOP_PAD_=67108864")
                    .contains("twice as slow"));
    assertThat(NativeAllocator.advice(Map.of("MALLOC_MMAP_THRESHOLD_", "33554432")))
        .hasValueSatisfying(
            line ->
                assertThat(line)
                    .contains("MALLOC_TRIM_THRESHOLD_=1073741824")
                    .doesNotContain("MALLOC_MMAP_THRESHOLD_"));
  }

  @Test
  void aDriverWithThemHearsNothing() {
    assertThat(NativeAllocator.advice(NativeAllocator.SETTINGS)).isEmpty();
    assertThat(NativeAllocator.advice()).as("the test JVMs get them from pom.xml").isEmpty();
  }
}
