package dev.lethe.unlearn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** The JSON form of an {@link UnlearningResult}, as report.json and the benchmarks write it. */
public final class ResultJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ResultJson() {}

  /** A new JSON object with every number of the result; sets that were not given are absent. */
  public static ObjectNode toJson(UnlearningResult r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("status", r.succeeded() ? "published" : "failed");
    o.put("method", r.method().cliName());
    o.put("goal", r.goal().cliName());
    o.put("targeted", r.targeted());
    o.put("k", r.k());
    o.put("seed", r.seed());
    accuracy(o, "forget", r.forget());
    accuracy(o, "test", r.test());
    accuracy(o, "retain", r.retain());
    if (r.miaBefore() != null) {
      ObjectNode mia = o.putObject("mia");
      mia.put("accuracy_before", round(r.miaBefore().accuracy()));
      mia.put("accuracy_after", round(r.miaAfter().accuracy()));
      mia.put("auc_before", round(r.miaBefore().auc()));
      mia.put("auc_after", round(r.miaAfter().auc()));
      mia.put("members", r.miaAfter().members());
      mia.put("folds", r.miaAfter().folds());
    }
    ObjectNode settings = o.putObject("settings");
    for (Map.Entry<String, Object> e : TuningTable.recorded(r.settings()).entrySet()) {
      Object v = e.getValue();
      if (v instanceof Float f) {
        settings.put(e.getKey(), f.floatValue());
      } else if (v instanceof Integer i) {
        settings.put(e.getKey(), i.intValue());
      } else if (v instanceof Boolean b) {
        settings.put(e.getKey(), b.booleanValue());
      } else {
        settings.put(e.getKey(), v.toString());
      }
    }
    o.put("steps", r.steps());
    o.put("epochs", r.epochs());
    o.put("stages", r.stages());
    ObjectNode adv = o.putObject("adversarial");
    adv.put("count", r.adversarialCount());
    if (r.adversarialCount() > 0) {
      adv.put("success_rate", round(r.adversarialSuccessRate()));
    }
    ObjectNode s = o.putObject("seconds");
    s.put("adversarial", round(r.seconds().adversarial()));
    s.put("importance", round(r.seconds().importance()));
    s.put("finetune", round(r.seconds().finetune()));
    s.put("evaluate", round(r.seconds().evaluate()));
    s.put("total", round(r.seconds().total()));
    o.put("device", r.device());
    if (r.message() == null) {
      o.putNull("error");
    } else {
      o.put("error", r.message());
    }
    return o;
  }

  private static void accuracy(ObjectNode o, String name, UnlearningResult.Accuracy a) {
    if (a.present()) {
      ObjectNode n = o.putObject(name);
      n.put("accuracy_before", round(a.before()));
      n.put("accuracy_after", round(a.after()));
      n.put("size", a.size());
    }
  }

  /**
   * A number as the report records it: rounded to 6 decimals (NaN and infinities kept), so that
   * report.json shows fractions and seconds without float noise.
   */
  public static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
  }
}
