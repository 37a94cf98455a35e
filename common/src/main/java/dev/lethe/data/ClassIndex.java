package dev.lethe.data;

import dev.lethe.failure.SettingException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Maps class folder names (as in {@code root/<class>/<image>}) to the class indices of a model.
 *
 * <p>A forget set seldom holds every class, so numbering the folders in sorted order would shift
 * labels silently. The rules instead:
 *
 * <ol>
 *   <li>when the model's class names are known, a folder maps to the position of its name in that
 *       list, and a folder that is not among them is an error. A folder name cannot hold '/', so a
 *       folder writes each '/' of a class name as '_' ({@link #folderName}): folder {@code
 *       t-shirt_top} is class {@code t-shirt/top}. Two class names that become one folder name
 *       ({@code a/b} and {@code a_b}) make that folder an error naming both;
 *   <li>otherwise, when every folder name is a non-negative integer, that integer is the index;
 *   <li>otherwise the folders are refused, with a message that says how to give the class names.
 * </ol>
 */
public final class ClassIndex implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final Pattern INDEX = Pattern.compile("(0|[1-9][0-9]{0,8})");

  /**
   * The setting that gives a model's class names, in the order of its outputs, as a comma-separated
   * list; {@link SettingException}s about class names name it.
   */
  public static final String CLASS_NAMES = "class-names";

  /** How to give class names, quoted in error messages. */
  public static final String HOW_TO_NAME_CLASSES =
      "give the model's class names, in the order of its outputs, either in its sidecar next to"
          + " it (model.pt -> model.lethe.json: {\"classes\": [\"name0\", \"name1\", ...]}) or"
          + " as a list"
          + " name0,name1,... "
          + SettingException.named(CLASS_NAMES);

  /** What a folder name writes in place of each '/' of a class name. */
  public static final char SLASH_IN_FOLDER_NAME = '_';

  private final List<String> classNames;
  private final String source;
  private transient volatile Map<String, List<Integer>> byFolderName;

  private ClassIndex(List<String> classNames, String source) {
    this.classNames = classNames;
    this.source = source;
  }

  /**
   * An index that maps folders by name: a folder maps to the position of its name in {@code
   * classNames}.
   *
   * @throws IllegalArgumentException when the list is empty or holds a name twice
   */
  public static ClassIndex ofNames(List<String> classNames) {
    if (classNames.isEmpty()) {
      throw new SettingException(
          CLASS_NAMES,
          "Cannot make a class index: the list of class names is empty; " + HOW_TO_NAME_CLASSES);
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < classNames.size(); i++) {
      String name = classNames.get(i);
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException(
            "Cannot make a class index: class name " + i + " is empty; give every class a name");
      }
      Integer before = seen.putIfAbsent(name, i);
      if (before != null) {
        throw new IllegalArgumentException(
            "Cannot make a class index: class name \""
                + name
                + "\" appears at positions "
                + before
                + " and "
                + i
                + "; give each class a distinct name");
      }
    }
    return new ClassIndex(List.copyOf(classNames), null);
  }

  /**
   * An index that reads each folder name as its class index; the number of classes stays unknown.
   */
  public static ClassIndex numeric() {
    return new ClassIndex(null, null);
  }

  /**
   * Chooses the mapping for the class folders of {@code root} by the rules in the class comment.
   *
   * @param root names the input in error messages
   * @param folderNames the class folder names found under root
   * @param classNames the model's class names in output order; empty when unknown
   * @throws IllegalArgumentException naming {@code root} and the folder when no mapping applies
   */
  public static ClassIndex resolve(
      String root, Collection<String> folderNames, List<String> classNames) {
    ClassIndex index;
    if (!classNames.isEmpty()) {
      index = new ClassIndex(ofNames(classNames).classNames, root);
    } else {
      List<String> named = new ArrayList<>();
      for (String folder : new TreeSet<>(folderNames)) {
        if (!INDEX.matcher(folder).matches()) {
          named.add(folder);
        }
      }
      if (!named.isEmpty()) {
        throw new SettingException(
            CLASS_NAMES,
            "Cannot label the images in "
                + root
                + ": class folder"
                + (named.size() == 1 ? " " : "s ")
                + quoted(named)
                + (named.size() == 1 ? " is" : " are")
                + " not a class index (a non-negative integer) and the model's class names are"
                + " unknown, so folder names cannot be matched to model outputs; "
                + HOW_TO_NAME_CLASSES
                + ", or name the folders by class index (0, 1, ...)");
      }
      index = new ClassIndex(null, root);
    }
    for (String folder : folderNames) {
      index.indexOf(folder);
    }
    return index;
  }

  /**
   * Parses the value of the class-names setting: names separated by commas, spaces around each name
   * trimmed.
   */
  public static List<String> parseClassNames(String commaSeparated) {
    List<String> names = new ArrayList<>();
    for (String name : commaSeparated.split(",", -1)) {
      names.add(name.trim());
    }
    ofNames(names);
    return Collections.unmodifiableList(names);
  }

  /**
   * The class index for a folder name.
   *
   * @throws IllegalArgumentException naming the folder (and listing the known names) when it maps
   *     to no class
   */
  public int indexOf(String folderName) {
    String where = source == null ? "" : " in " + source;
    if (classNames != null) {
      List<Integer> matches = byFolderName().getOrDefault(folderName, List.of());
      if (matches.size() > 1) {
        List<String> names = new ArrayList<>();
        matches.forEach(i -> names.add(classNames.get(i)));
        throw new SettingException(
            CLASS_NAMES,
            "Cannot label class folder \""
                + folderName
                + "\""
                + where
                + ": it stands for the model's class names "
                + quoted(names)
                + " alike, since a folder name writes '/' as '"
                + SLASH_IN_FOLDER_NAME
                + "'; give class names that stay distinct once '/' is written as '"
                + SLASH_IN_FOLDER_NAME
                + "' "
                + SettingException.named(CLASS_NAMES));
      }
      if (matches.isEmpty()) {
        List<String> folders = classNames.stream().map(ClassIndex::folderName).toList();
        throw new IllegalArgumentException(
            "Cannot label class folder \""
                + folderName
                + "\""
                + where
                + ": it is not one of the model's "
                + classNames.size()
                + " class names "
                + quoted(folders)
                + (folders.equals(classNames)
                    ? ""
                    : " (as folder names: '/' in a class name is written '"
                        + SLASH_IN_FOLDER_NAME
                        + "')")
                + "; rename the folder to one of these names, or give the right class names");
      }
      return matches.get(0);
    }
    if (!INDEX.matcher(folderName).matches()) {
      throw new SettingException(
          CLASS_NAMES,
          "Cannot label class folder \""
              + folderName
              + "\""
              + where
              + ": it is not a class index (a non-negative integer); "
              + HOW_TO_NAME_CLASSES);
    }
    return Integer.parseInt(folderName);
  }

  /**
   * The folder name of a class: its name with each '/' written as {@value #SLASH_IN_FOLDER_NAME} (a
   * folder name cannot hold '/'); other names are their own folder name.
   */
  public static String folderName(String className) {
    return className.replace('/', SLASH_IN_FOLDER_NAME);
  }

  private Map<String, List<Integer>> byFolderName() {
    if (byFolderName == null) {
      Map<String, List<Integer>> map = new HashMap<>();
      for (int i = 0; i < classNames.size(); i++) {
        map.computeIfAbsent(folderName(classNames.get(i)), k -> new ArrayList<>()).add(i);
      }
      byFolderName = map;
    }
    return byFolderName;
  }

  /** The number of classes, when the class names are known. */
  public OptionalInt numClasses() {
    return classNames == null ? OptionalInt.empty() : OptionalInt.of(classNames.size());
  }

  /** The class names in index order, when known. */
  public Optional<List<String>> classNames() {
    return Optional.ofNullable(classNames);
  }

  @Override
  public String toString() {
    return classNames == null
        ? "ClassIndex[folder name = class index]"
        : "ClassIndex" + quoted(classNames);
  }

  private static String quoted(List<String> names) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < names.size(); i++) {
      out.append(i == 0 ? "\"" : ", \"").append(names.get(i)).append('"');
    }
    return out.append(']').toString();
  }
}
