import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/**
 * Structured JSON logs. Secrets never reach a log line: the redaction list covers the headers
 * and fields that carry credentials, whatever context logs them.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'e-state' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        '*.secret',
        '*.masterKey',
      ],
      censor: '[redacted]',
    },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
