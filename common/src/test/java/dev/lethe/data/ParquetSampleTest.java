package dev.lethe.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lethe.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetSampleTest {

  private final Configuration conf = new Configuration();

  @TempDir java.nio.file.Path tmp;

  @Test
  void writeThenReadGivesTheSameSamples() {
    List<Sample> samples = Fixtures.test().subList(0, 40);
    Path file = new Path(tmp.resolve("digits.parquet").toUri());

    long rows = ParquetSampleWriter.write(file, conf, samples);
    List<Sample> back = ParquetSampleReader.read(file, conf);

    assertThat(rows).as("rows written").isEqualTo(40);
    assertThat(back).as("samples read back (PNG is lossless)").isEqualTo(samples);
  }

  @Test
  void readsADirectoryOfPartFilesInNameOrder() throws IOException {
    List<Sample> samples = Fixtures.train().subList(0, 30);
    java.nio.file.Path dir = tmp.resolve("table");
    Files.createDirectories(dir);
    ParquetSampleWriter.write(
        hadoop(dir.resolve("part-00001-x.snappy.parquet")), conf, samples.subList(20, 30));
    ParquetSampleWriter.write(
        hadoop(dir.resolve("part-00000-x.snappy.parquet")), conf, samples.subList(0, 20));
    Files.writeString(dir.resolve("_SUCCESS"), "");
    Files.writeString(dir.resolve(".hidden.parquet"), "not parquet");
    Files.writeString(dir.resolve("_metadata.parquet"), "not parquet");

    List<Sample> back = ParquetSampleReader.read(hadoop(dir), conf);

    assertThat(back).as("both parts in name order, marker files skipped").isEqualTo(samples);
    assertThat(ParquetSampleReader.partFiles(hadoop(dir), conf))
        .as("part files")
        .extracting(Path::getName)
        .containsExactly("part-00000-x.snappy.parquet", "part-00001-x.snappy.parquet");
  }

  @Test
  void acceptsOptionalColumnsAndExtraColumnsAsSparkWritesThem() throws IOException {
    MessageType sparkLike =
        Types.buildMessage()
            .optional(PrimitiveTypeName.BINARY)
            .as(LogicalTypeAnnotation.stringType())
            .named("path")
            .optional(PrimitiveTypeName.BINARY)
            .as(LogicalTypeAnnotation.stringType())
            .named("id")
            .optional(PrimitiveTypeName.BINARY)
            .named("image")
            .optional(PrimitiveTypeName.INT32)
            .named("label")
            .named("spark_schema");
    Sample digit = Fixtures.test().get(3);
    Path file = hadoop(tmp.resolve("spark.parquet"));
    try (ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, conf))
            .withType(sparkLike)
            .withConf(conf)
            .build()) {
      writer.write(
          new SimpleGroupFactory(sparkLike)
              .newGroup()
              .append("path", "/x/y.png")
              .append("id", "x/y.png")
              .append("image", Binary.fromConstantByteArray(ImageEncoder.png(digit)))
              .append("label", digit.label()));
    }

    List<Sample> back = ParquetSampleReader.read(file, conf);

    assertThat(back).as("one row").hasSize(1);
    assertThat(back.get(0).id()).as("id").isEqualTo("x/y.png");
    assertThat(back.get(0).label()).as("label").isEqualTo(digit.label());
    assertThat(back.get(0).pixels()).as("pixels").containsExactly(digit.pixels());
  }

  @Test
  void rejectsGarbageNamingTheFile() throws IOException {
    java.nio.file.Path garbage = tmp.resolve("garbage.parquet");
    Files.writeString(garbage, "PAR1 but then nothing that makes sense, definitely not a footer");

    assertThatThrownBy(() -> ParquetSampleReader.read(hadoop(garbage), conf))
        .as("garbage Parquet")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("garbage.parquet");
  }

  @Test
  void rejectsTruncatedFileNamingTheFile() throws IOException {
    Path whole = hadoop(tmp.resolve("whole.parquet"));
    ParquetSampleWriter.write(whole, conf, Fixtures.test().subList(0, 10));
    byte[] bytes = Files.readAllBytes(tmp.resolve("whole.parquet"));
    java.nio.file.Path cut = tmp.resolve("cut.parquet");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 40));

    assertThatThrownBy(() -> ParquetSampleReader.read(hadoop(cut), conf))
        .as("truncated Parquet")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cut.parquet");
  }

  @Test
  void rejectsAWrongLabelTypeNamingFileAndColumn() throws IOException {
    MessageType longLabels =
        Types.buildMessage()
            .required(PrimitiveTypeName.BINARY)
            .as(LogicalTypeAnnotation.stringType())
            .named("id")
            .required(PrimitiveTypeName.INT64)
            .named("label")
            .required(PrimitiveTypeName.BINARY)
            .named("image")
            .named("m");
    Path file = hadoop(tmp.resolve("long-labels.parquet"));
    writeOneRow(
        file,
        longLabels,
        g -> g.append("id", "a").append("label", 3L).append("image", Binary.fromString("x")));

    assertThatThrownBy(() -> ParquetSampleReader.read(file, conf))
        .as("INT64 labels")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("long-labels.parquet")
        .hasMessageContaining("'label'")
        .hasMessageContaining(ParquetSampleReader.EXPECTED_SCHEMA);
  }

  @Test
  void rejectsAMissingColumnNamingFileAndColumn() throws IOException {
    MessageType noImage =
        Types.buildMessage()
            .required(PrimitiveTypeName.BINARY)
            .as(LogicalTypeAnnotation.stringType())
            .named("id")
            .required(PrimitiveTypeName.INT32)
            .named("label")
            .named("m");
    Path file = hadoop(tmp.resolve("no-image.parquet"));
    writeOneRow(file, noImage, g -> g.append("id", "a").append("label", 3));

    assertThatThrownBy(() -> ParquetSampleReader.read(file, conf))
        .as("no image column")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-image.parquet")
        .hasMessageContaining("'image'")
        .hasMessageContaining(ParquetSampleReader.EXPECTED_SCHEMA);
  }

  @Test
  void rejectsAnUndecodableImageNamingFileAndRow() {
    Path file = hadoop(tmp.resolve("bad-image.parquet"));
    try (ParquetSampleWriter writer = ParquetSampleWriter.create(file, conf)) {
      writer.write("row-7", 1, new byte[] {1, 2, 3});
    }

    assertThatThrownBy(() -> ParquetSampleReader.read(file, conf))
        .as("garbage image bytes")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad-image.parquet")
        .hasMessageContaining("row-7");
    assertThat(ParquetSampleReader.readRows(file, conf))
        .as("raw rows still read")
        .singleElement()
        .satisfies(r -> assertThat(r.image()).containsExactly(1, 2, 3));
  }

  @Test
  void refusesToOverwriteAndNamesMissingInputs() throws IOException {
    Path file = hadoop(tmp.resolve("once.parquet"));
    ParquetSampleWriter.write(file, conf, Fixtures.test().subList(0, 1));

    assertThatThrownBy(() -> ParquetSampleWriter.create(file, conf))
        .as("existing file")
        .hasMessageContaining("once.parquet");
    assertThatThrownBy(() -> ParquetSampleReader.read(hadoop(tmp.resolve("absent.parquet")), conf))
        .as("missing input")
        .hasMessageContaining("absent.parquet");
    java.nio.file.Path empty = Files.createDirectories(tmp.resolve("empty-table"));
    Files.writeString(empty.resolve("_SUCCESS"), "");
    assertThatThrownBy(() -> ParquetSampleReader.read(hadoop(empty), conf))
        .as("directory without part files")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty-table");
  }

  private void writeOneRow(
      Path file, MessageType schema, java.util.function.UnaryOperator<Group> fill)
      throws IOException {
    try (ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, conf))
            .withType(schema)
            .withConf(conf)
            .build()) {
      writer.write(fill.apply(new SimpleGroupFactory(schema).newGroup()));
    }
  }

  private static Path hadoop(java.nio.file.Path path) {
    return new Path(path.toUri());
  }
}
