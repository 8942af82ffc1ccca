import { pino, type Logger as PinoLogger } from 'pino'

export type Logger = PinoLogger

/** Structured JSON logs on stdout; secrets in well-known fields are redacted. */
export const createLogger = (level = process.env.LOG_LEVEL ?? 'info'): Logger =>
  pino({
    level,
    base: { service: 'clawback' },
    redact: {
      paths: ['password', '*.password', 'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', 'token', '*.token'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  })
