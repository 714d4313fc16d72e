// Structured JSON logs on stdout. Values of file metadata, tokens and passwords are never logged.
import pino from "pino";
import { ConfigError, type LogLevel, logLevel } from "./config.ts";

/**
 * LOG_LEVEL, read as src/config.ts reads it. This module is loaded before the configuration is,
 * so a bad value falls back to info here; loadConfig() then stops the server with a message naming it.
 */
function startLevel(): LogLevel {
  try {
    return logLevel();
  } catch (e) {
    if (e instanceof ConfigError) return "info";
    throw e;
  }
}

export const logger = pino({
  level: startLevel(),
  base: { service: "fms" },
  redact: ["*.password", "*.authorization", "*.token", "req.headers.authorization"],
});

export type Logger = typeof logger;
