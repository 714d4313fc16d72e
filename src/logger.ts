// Structured JSON logs on stdout. Values of file metadata, tokens and passwords are never logged.
import pino from "pino";

export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { service: "fms" },
  redact: ["*.password", "*.authorization", "*.token", "req.headers.authorization"],
});

export type Logger = typeof logger;
