import { type Logger as PinoLogger, pino } from 'pino'

export type Logger = PinoLogger

/** Structured JSON logs on stdout; secrets in well-known fields are redacted. */
export const createLogger = (level = process.env.LOG_LEVEL ?? 'info'): Logger =>
  pino({
    level,
    base: { service: 'clawback' },
    redact: {
      paths: [
        'password',
        '*.password',
        'authorization',
        '*.authorization',
        'req.headers.authorization',
        'req.headers.cookie',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Errors from database drivers carry their whole client object: log only what helps.
    serializers: {
      err: (err: unknown) => {
        if (!(err instanceof Error)) return err
        const e = err as Error & { code?: string; kind?: string; cause?: unknown }
        return {
          type: e.name,
          message: e.message,
          code: e.code,
          kind: e.kind,
          stack: e.stack,
          cause: e.cause instanceof Error ? e.cause.message : undefined,
        }
      },
    },
  })
