package dev.lethe.job.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuInfoTest {

  private static final String EPYC =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B14\n"
          + "flags\t\t: fpu sse2 avx avx2 avx512f avx512bw\n\nprocessor\t: 1\n"
          + "model name\t: AMD EPYC 9B14\nflags\t\t: fpu sse2 avx avx2 avx512f\n";

  private static final String XEON =
      "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz\n"
          + "flags\t\t: fpu sse2 avx avx2 fma\n";

  @Test
  void namesTheModelAndTheWidestVectorInstructionSet() {
    assertThat(CpuInfo.describe(EPYC, Map.of(), "amd64")).isEqualTo("AMD EPYC 9B14, avx512f");
    assertThat(CpuInfo.describe(XEON, Map.of(), "amd64"))
        .isEqualTo("Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz, avx2");
  }

  @Test
  void addsTheVariablesThatCapLibtorchsInstructionSet() {
    assertThat(
            CpuInfo.describe(
                EPYC, Map.of("ATEN_CPU_CAPABILITY", "avx2", "ONEDNN_MAX_CPU_ISA", "AVX2"), "amd64"))
        .isEqualTo("AMD EPYC 9B14, avx512f, ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2");
  }

  @Test
  void fallsBackToTheArchitectureWithoutCpuinfo() {
    assertThat(CpuInfo.describe("", Map.of(), "aarch64")).isEqualTo("aarch64");
    assertThat(CpuInfo.describe()).as("this machine").isNotBlank();
  }
}
