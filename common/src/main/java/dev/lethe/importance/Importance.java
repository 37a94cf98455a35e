package dev.lethe.importance;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * MAS weight importance of every trainable parameter tensor, by name in the model's order.
 *
 * <p>The maps are copied; their arrays are shared, not copied, and must not be changed.
 *
 * @param omega Ω, the raw importance
 * @param normalised Ω̂, Ω min-max normalised per tensor into [0,1] (0 for a constant tensor)
 */
public record Importance(
    LinkedHashMap<String, float[]> omega, LinkedHashMap<String, float[]> normalised)
    implements Serializable {

  public Importance {
    Objects.requireNonNull(omega, "omega");
    Objects.requireNonNull(normalised, "normalised");
    if (!omega.keySet().equals(normalised.keySet())) {
      throw new IllegalArgumentException(
          "Cannot make importance: the raw tensors "
              + omega.keySet()
              + " and the normalised ones "
              + normalised.keySet()
              + " differ");
    }
    for (Map.Entry<String, float[]> e : omega.entrySet()) {
      int raw = e.getValue().length;
      int scaled = normalised.get(e.getKey()).length;
      if (raw != scaled) {
        throw new IllegalArgumentException(
            "Cannot make importance: "
                + e.getKey()
                + " has "
                + raw
                + " raw and "
                + scaled
                + " normalised values");
      }
    }
    omega = new LinkedHashMap<>(omega);
    normalised = new LinkedHashMap<>(normalised);
  }

  @Override
  public String toString() {
    return "Importance[tensors=" + omega.keySet() + "]";
  }
}
