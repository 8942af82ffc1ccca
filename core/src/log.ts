import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino'

export type Logger = PinoLogger

export type RecentError = { at: string; level: 'error' | 'fatal'; message: string; error?: string; requestId?: string }

const RECENT_MAX = 50
const recent: RecentError[] = []

/**
 * The last errors this process logged, newest first, for the system page. Diagnostics only (the
 * journal keeps the full log): just the message, the error's first line cut before any query
 * parameters, and the request id.
 */
export const recentErrors = (): RecentError[] => [...recent].reverse()

const remember = (level: number, args: unknown[], bindings: Record<string, unknown>) => {
  const [first, second] = args
  const obj = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {}
  const message = String(typeof first === 'string' ? first : (second ?? '')).slice(0, 300)
  const err = obj.err instanceof Error ? obj.err : undefined
  recent.push({
    at: new Date().toISOString(),
    level: level >= 60 ? 'fatal' : 'error',
    message,
    error: err
      ? `${err.name}: ${err.message
          .split('\n')[0]!
          .split(/params:/)[0]!
          .slice(0, 300)}`
      : undefined,
    requestId: typeof bindings.requestId === 'string' ? bindings.requestId : undefined,
  })
  if (recent.length > RECENT_MAX) recent.shift()
}

/** Structured JSON logs on stdout; secrets in well-known fields are redacted. */
export const createLogger = (level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger =>
  pino(
    {
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
      hooks: {
        logMethod(args, method, level) {
          if (level >= 50) remember(level, args, this.bindings())
          return method.apply(this, args)
        },
      },
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
    },
    destination ?? pino.destination(1),
  )
