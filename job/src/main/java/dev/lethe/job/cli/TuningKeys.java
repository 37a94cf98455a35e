package dev.lethe.job.cli;

import dev.lethe.unlearn.TuningOptions;
import java.util.Iterator;

/** The tuning option keys of {@code --set}, for the generated help (lethe-common's table). */
public final class TuningKeys implements Iterable<String> {

  @Override
  public Iterator<String> iterator() {
    return TuningOptions.KEYS.iterator();
  }
}
