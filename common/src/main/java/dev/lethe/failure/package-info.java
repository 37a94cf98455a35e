/**
 * How Lethe reports refused inputs: {@link dev.lethe.failure.SettingException} names the setting
 * that mends a failure, for a caller (the CLI) to add its own flag. No other Lethe package is
 * imported here, so every package may use it.
 */
package dev.lethe.failure;
